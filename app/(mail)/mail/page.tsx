import type { Metadata } from "next";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { MailApp, type MailInitial } from "@/components/mail/mail-app";
import { placeFromParams } from "@/components/mail/place";
import { isAppError } from "@/lib/errors";
import { imapIdentity } from "@/lib/web/mail/identity";
import { listFolders, listPage } from "@/lib/web/mail/list";
import { getMailSettings } from "@/lib/web/mail/compose/settings";
import { requireSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "Inbox" };
export const dynamic = "force-dynamic";

/** How long the first render waits for IMAP before handing the loading to the browser. */
const INITIAL_BUDGET_MS = 2500;

function withinBudget<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("slow")), INITIAL_BUDGET_MS))]);
}

// The webmail. The folders and the first page of the list are fetched here (over IMAP, like every
// API route) so the first paint shows mail; when the mail server is slow or unreachable the page
// still renders, says so, and the browser takes over loading and retrying.
export default async function MailPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const session = await requireSession();
  const raw = await searchParams;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(raw)) if (typeof v === "string") params.set(k, v);
  const place = placeFromParams(params);
  const identity = imapIdentity(session);

  const initial: MailInitial = { place, mailboxes: null, page: null, error: null };
  const [folders, page] = await Promise.allSettled([
    withinBudget(listFolders(identity)),
    withinBudget(listPage(identity, { view: place.view, mailbox: place.mailbox, q: place.q || null, limit: 50 })),
  ]);
  if (folders.status === "fulfilled") initial.mailboxes = folders.value;
  if (page.status === "fulfilled") initial.page = page.value;
  const failure = [folders, page].find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  if (failure) {
    const err = failure.reason;
    if (isAppError(err, "UNAUTHORIZED")) initial.error = "Your session has ended; sign in again.";
    else if (isAppError(err) && err.code !== "TEMPORARY") initial.error = err.message;
    else initial.error = "The mail server cannot be reached right now.";
    if (!isAppError(err)) console.error("mail page: initial load failed:", err);
  }

  const prefs = await getMailSettings({ userId: session.userId });
  return <MailApp email={session.email} initial={initial} signOut={<SignOutButton />} shortcuts={prefs.keyboardShortcuts} readingPane={prefs.readingPane} timeZone={prefs.timeZone} />;
}
