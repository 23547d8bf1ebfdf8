-- Each mailbox's message count, unseen count and total size, kept on its row by triggers on
-- "messages", so that SELECT, STATUS and folder lists read them instead of counting. "Unseen" is
-- exactly NOT ('\Seen' = ANY(flags)), the predicate the listing used before.
ALTER TABLE "mailboxes" ADD COLUMN "message_count" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "unseen_count" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "total_size" BIGINT NOT NULL DEFAULT 0;

-- Statement-level: one UPDATE of "mailboxes" per statement on "messages", however many rows it
-- touched. Deltas are summed per mailbox (an UPDATE counts its old rows out and its new rows in,
-- so changes of mailbox_id or size are right too) and mailboxes whose counters do not move are
-- left alone (a flag change other than \Seen). When a mailbox or user is deleted, the cascade's
-- DELETE on "messages" updates a mailbox row already gone: no row, nothing to do.
CREATE FUNCTION "mailbox_counters_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "mailboxes" b
    SET "message_count" = b."message_count" + d.n, "unseen_count" = b."unseen_count" + d.unseen, "total_size" = b."total_size" + d.size
    FROM (SELECT "mailbox_id", count(*) AS n, count(*) FILTER (WHERE NOT ('\Seen' = ANY("flags"))) AS unseen, sum("size") AS size
          FROM new_rows GROUP BY "mailbox_id") d
    WHERE b."id" = d."mailbox_id";
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "mailboxes" b
    SET "message_count" = b."message_count" - d.n, "unseen_count" = b."unseen_count" - d.unseen, "total_size" = b."total_size" - d.size
    FROM (SELECT "mailbox_id", count(*) AS n, count(*) FILTER (WHERE NOT ('\Seen' = ANY("flags"))) AS unseen, sum("size") AS size
          FROM old_rows GROUP BY "mailbox_id") d
    WHERE b."id" = d."mailbox_id";
  ELSE
    UPDATE "mailboxes" b
    SET "message_count" = b."message_count" + d.n, "unseen_count" = b."unseen_count" + d.unseen, "total_size" = b."total_size" + d.size
    FROM (SELECT "mailbox_id", sum(n) AS n, sum(unseen) AS unseen, sum(size) AS size
          FROM (SELECT "mailbox_id", 1 AS n, (NOT ('\Seen' = ANY("flags")))::int AS unseen, "size"::bigint AS size FROM new_rows
                UNION ALL
                SELECT "mailbox_id", -1, -(NOT ('\Seen' = ANY("flags")))::int, -"size"::bigint FROM old_rows) x
          GROUP BY "mailbox_id") d
    WHERE b."id" = d."mailbox_id" AND (d.n <> 0 OR d.unseen <> 0 OR d.size <> 0);
  END IF;
  RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger, hence three triggers on one function.
CREATE TRIGGER "messages_counters_insert" AFTER INSERT ON "messages"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mailbox_counters_apply"();
CREATE TRIGGER "messages_counters_delete" AFTER DELETE ON "messages"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "mailbox_counters_apply"();
CREATE TRIGGER "messages_counters_update" AFTER UPDATE ON "messages"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mailbox_counters_apply"();

-- The triggers hold a lock on "messages" that keeps writers out until this migration commits, so
-- the backfill below sees every committed message and none can slip between it and the triggers.
UPDATE "mailboxes" b
SET "message_count" = c.n, "unseen_count" = c.unseen, "total_size" = c.size
FROM (SELECT "mailbox_id", count(*) AS n, count(*) FILTER (WHERE NOT ('\Seen' = ANY("flags"))) AS unseen, coalesce(sum("size"), 0) AS size
      FROM "messages" GROUP BY "mailbox_id") c
WHERE b."id" = c."mailbox_id";

-- SELECT's first unseen message (min(uid) among the unseen) without walking the seen ones.
CREATE INDEX "messages_unseen_idx" ON "messages"("mailbox_id", "uid") WHERE NOT ('\Seen' = ANY("flags"));
