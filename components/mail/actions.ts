import type { MessageAction } from "@/lib/imap-client/actions";

/** What the UI can do to conversations: the API's actions, and a star toggle. */
export type Action = MessageAction | "toggleStar";
