import type { CommandSpec } from "./command.ts";
import { appendCommand } from "./commands/append.ts";
import { authenticateCommand } from "./commands/authenticate.ts";
import { capabilityCommand } from "./commands/capability.ts";
import { closeCommand } from "./commands/close.ts";
import { copyCommand } from "./commands/copy.ts";
import { createCommand } from "./commands/create.ts";
import { deleteCommand } from "./commands/delete.ts";
import { enableCommand } from "./commands/enable.ts";
import { expungeCommand } from "./commands/expunge.ts";
import { fetchCommand } from "./commands/fetch.ts";
import { idCommand } from "./commands/id.ts";
import { idleCommand } from "./commands/idle.ts";
import { listCommand, lsubCommand } from "./commands/list.ts";
import { loginCommand } from "./commands/login.ts";
import { logoutCommand } from "./commands/logout.ts";
import { namespaceCommand } from "./commands/namespace.ts";
import { noopCommand } from "./commands/noop.ts";
import { getQuotaCommand, getQuotaRootCommand, setQuotaCommand } from "./commands/quota.ts";
import { renameCommand } from "./commands/rename.ts";
import { searchCommand } from "./commands/search.ts";
import { selectCommand } from "./commands/select.ts";
import { sortCommand } from "./commands/sort.ts";
import { starttlsCommand } from "./commands/starttls.ts";
import { statusCommand } from "./commands/status.ts";
import { storeCommand } from "./commands/store.ts";
import { subscribeCommand } from "./commands/subscribe.ts";
import { threadCommand } from "./commands/thread.ts";

// The command table: name (with UID prefix where it applies) → its module.
const SPECS: CommandSpec[] = [
  capabilityCommand,
  noopCommand,
  logoutCommand,
  starttlsCommand,
  authenticateCommand,
  loginCommand,
  idCommand,
  enableCommand,
  namespaceCommand,
  listCommand,
  lsubCommand,
  createCommand,
  deleteCommand,
  renameCommand,
  subscribeCommand,
  selectCommand,
  statusCommand,
  closeCommand,
  appendCommand,
  idleCommand,
  fetchCommand,
  storeCommand,
  copyCommand,
  expungeCommand,
  searchCommand,
  sortCommand,
  threadCommand,
  getQuotaCommand,
  getQuotaRootCommand,
  setQuotaCommand,
];

const TABLE = new Map<string, CommandSpec>();
for (const spec of SPECS) for (const name of spec.names) TABLE.set(name, spec);

export function findCommand(name: string): CommandSpec | undefined {
  return TABLE.get(name);
}
