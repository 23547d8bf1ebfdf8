import { z } from "zod";
import { getPool } from "../../../db/client.ts";
import { AppError } from "../../../errors.ts";

// The webmail's preferences: display name (users.display_name) and the rest in users.settings
// under "mail" (JSONB), checked with zod on the way in and on the way out (a stored value from an
// older version that no longer fits falls back to its default rather than breaking the page).

export const READING_PANES = ["right", "bottom", "off"] as const;
export const REMOTE_IMAGE_POLICIES = ["ask", "always", "never"] as const;
export const UNDO_SECONDS = [0, 5, 10, 20, 30] as const;

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const preferencesShape = {
  /** Plain text, appended below new messages and replies ("-- " line added by the editor). */
  signature: z.string().max(10_000),
  readingPane: z.enum(READING_PANES),
  keyboardShortcuts: z.boolean(),
  /** Remote images in HTML mail: ask each time (per sender), always show, never show. */
  remoteImages: z.enum(REMOTE_IMAGE_POLICIES),
  /** IANA name; "" follows the browser. */
  timeZone: z.string().max(64).refine((tz) => tz === "" || isTimeZone(tz), "unknown time zone"),
  /** Seconds a sent message is held so that Undo can take it back. */
  undoSeconds: z.union(UNDO_SECONDS.map((n) => z.literal(n)) as [z.ZodLiteral<0>, z.ZodLiteral<5>, z.ZodLiteral<10>, z.ZodLiteral<20>, z.ZodLiteral<30>]),
};

export const mailPreferencesSchema = z.object(preferencesShape);
export type MailPreferences = z.infer<typeof mailPreferencesSchema>;

export const DEFAULT_PREFERENCES: MailPreferences = {
  signature: "",
  readingPane: "right",
  keyboardShortcuts: true,
  remoteImages: "ask",
  timeZone: "",
  undoSeconds: 5,
};

export const mailSettingsUpdateSchema = z
  .object({
    displayName: z.string().trim().max(200).refine((s) => !/[\r\n<>"]/.test(s), "a name cannot contain line breaks, < > or quotes"),
    ...preferencesShape,
  })
  .partial();
export type MailSettingsUpdate = z.infer<typeof mailSettingsUpdateSchema>;

export interface MailSettings extends MailPreferences {
  displayName: string;
  email: string;
}

/** Each stored field that still fits, defaults for the rest. */
function readPreferences(stored: unknown): MailPreferences {
  const out: MailPreferences = { ...DEFAULT_PREFERENCES };
  if (!stored || typeof stored !== "object") return out;
  for (const key of Object.keys(preferencesShape) as (keyof MailPreferences)[]) {
    const r = preferencesShape[key].safeParse((stored as Record<string, unknown>)[key]);
    if (r.success) (out as Record<string, unknown>)[key] = r.data;
  }
  return out;
}

export async function getMailSettings(input: { userId: number }): Promise<MailSettings> {
  const r = await getPool().query<{ email: string; display_name: string; mail: unknown }>(
    "SELECT email, display_name, settings->'mail' AS mail FROM users WHERE id = $1",
    [input.userId],
  );
  if (!r.rowCount) throw new AppError("NOT_FOUND", "no such user");
  const row = r.rows[0];
  return { email: row.email, displayName: row.display_name, ...readPreferences(row.mail) };
}

export async function updateMailSettings(input: { userId: number; update: MailSettingsUpdate }): Promise<MailSettings> {
  const parsed = mailSettingsUpdateSchema.safeParse(input.update);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("INVALID", `${issue.path.join(".") || "settings"}: ${issue.message}`);
  }
  const { displayName, ...prefs } = parsed.data;
  // One statement: concurrent updates of different fields both stick (jsonb || merges keys).
  const r = await getPool().query(
    `UPDATE users SET
       display_name = COALESCE($2, display_name),
       settings = settings || jsonb_build_object('mail', COALESCE(settings->'mail', '{}'::jsonb) || $3::jsonb)
     WHERE id = $1`,
    [input.userId, displayName ?? null, JSON.stringify(prefs)],
  );
  if (!r.rowCount) throw new AppError("NOT_FOUND", "no such user");
  return getMailSettings({ userId: input.userId });
}
