import { getPool } from "../../db/client.ts";

// Senders whose remote images the reader chose to always show ("Always show images from …"),
// kept in the user's settings (users.settings → mail.imageSenders).

const MAX_SENDERS = 2000;

export async function listImageSenders(input: { userId: number }): Promise<Set<string>> {
  const r = await getPool().query<{ senders: unknown }>(
    `SELECT settings #> '{mail,imageSenders}' AS senders FROM users WHERE id = $1`,
    [input.userId],
  );
  const list = r.rows[0]?.senders;
  return new Set(Array.isArray(list) ? list.filter((s): s is string => typeof s === "string") : []);
}

export async function addImageSender(input: { userId: number; address: string }): Promise<void> {
  const address = input.address.trim().toLowerCase();
  // One statement: concurrent additions do not lose each other.
  await getPool().query(
    `UPDATE users SET settings = jsonb_set(
        CASE WHEN jsonb_typeof(settings -> 'mail') = 'object' THEN settings ELSE jsonb_set(settings, '{mail}', '{}'::jsonb) END,
        '{mail,imageSenders}',
        (SELECT coalesce(jsonb_agg(s), '[]'::jsonb) FROM (
           SELECT DISTINCT s FROM jsonb_array_elements_text(
             CASE WHEN jsonb_typeof(settings #> '{mail,imageSenders}') = 'array' THEN settings #> '{mail,imageSenders}' ELSE '[]'::jsonb END
             || to_jsonb($2::text)) AS s
           LIMIT $3) t))
      WHERE id = $1`,
    [input.userId, address, MAX_SENDERS],
  );
}

export async function removeImageSender(input: { userId: number; address: string }): Promise<void> {
  await getPool().query(
    `UPDATE users SET settings = jsonb_set(settings, '{mail,imageSenders}',
        coalesce((SELECT jsonb_agg(s) FROM jsonb_array_elements_text(settings #> '{mail,imageSenders}') AS s WHERE s <> $2), '[]'::jsonb))
      WHERE id = $1 AND jsonb_typeof(settings #> '{mail,imageSenders}') = 'array'`,
    [input.userId, input.address.trim().toLowerCase()],
  );
}
