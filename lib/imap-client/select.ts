import type { ImapFlow, MailboxLockObject } from "imapflow";

/**
 * Selects `path` for the caller's commands (imapflow's mailbox lock). A folder the pooled
 * connection already had selected gets a NOOP first: changes made since by other sessions (new
 * mail, expunges) reach a connection only with its next command (RFC 9051 §7), and until then
 * its SEARCH and FETCH do not see them.
 */
export async function openMailbox(client: ImapFlow, path: string): Promise<MailboxLockObject> {
  const already = !!client.mailbox && client.mailbox.path === path;
  const lock = await client.getMailboxLock(path, { acquireTimeout: 15_000 });
  if (already) {
    try {
      await client.noop();
    } catch (err) {
      lock.release();
      throw err;
    }
  }
  return lock;
}
