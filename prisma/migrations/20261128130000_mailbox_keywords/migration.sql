-- Every flag and keyword ever used in a mailbox, kept with the mailbox so that IMAP SELECT
-- answers FLAGS without scanning the messages.
ALTER TABLE "mailboxes" ADD COLUMN "keywords" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

UPDATE "mailboxes" b SET "keywords" = coalesce(
  (SELECT array_agg(DISTINCT f) FROM "messages" m, unnest(m."flags") f WHERE m."mailbox_id" = b."id"),
  ARRAY[]::TEXT[]);
