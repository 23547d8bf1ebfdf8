-- Pigeon initial schema (hand-written; must match prisma/schema.prisma, see tests/db).

CREATE TYPE "UserRole" AS ENUM ('ADMIN', 'DOMAIN_ADMIN', 'USER');
CREATE TYPE "RecipientStatus" AS ENUM ('QUEUED', 'DEFERRED', 'DELIVERED', 'BOUNCED');

CREATE TABLE "domains" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "domains_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "domains_name_key" ON "domains"("name");

CREATE TABLE "dkim_keys" (
    "id" SERIAL NOT NULL,
    "domain_id" INTEGER NOT NULL,
    "selector" TEXT NOT NULL,
    "private_key" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),
    CONSTRAINT "dkim_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "dkim_keys_domain_id_selector_key" ON "dkim_keys"("domain_id", "selector");

CREATE TABLE "users" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "domain_id" INTEGER NOT NULL,
    "password_hash" TEXT NOT NULL,
    "display_name" TEXT NOT NULL DEFAULT '',
    "role" "UserRole" NOT NULL DEFAULT 'USER',
    "quota_bytes" BIGINT NOT NULL DEFAULT 10737418240,
    "used_bytes" BIGINT NOT NULL DEFAULT 0,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "mail_password_allowed" BOOLEAN NOT NULL DEFAULT true,
    "totp_secret" TEXT,
    "totp_enabled" BOOLEAN NOT NULL DEFAULT false,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");
CREATE INDEX "users_domain_id_idx" ON "users"("domain_id");

CREATE TABLE "aliases" (
    "id" SERIAL NOT NULL,
    "address" TEXT NOT NULL,
    "domain_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "aliases_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "aliases_address_key" ON "aliases"("address");
CREATE INDEX "aliases_domain_id_idx" ON "aliases"("domain_id");

CREATE TABLE "alias_targets" (
    "alias_id" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    CONSTRAINT "alias_targets_pkey" PRIMARY KEY ("alias_id", "user_id")
);
CREATE INDEX "alias_targets_user_id_idx" ON "alias_targets"("user_id");

CREATE TABLE "mailboxes" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "special_use" TEXT,
    "uid_validity" INTEGER NOT NULL,
    "uid_next" INTEGER NOT NULL DEFAULT 1,
    "highest_mod_seq" BIGINT NOT NULL DEFAULT 1,
    "subscribed" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "mailboxes_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "mailboxes_user_id_name_key" ON "mailboxes"("user_id", "name");

CREATE TABLE "blobs" (
    "hash" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "from_address" TEXT NOT NULL DEFAULT '',
    "sent_date" TIMESTAMPTZ(3),
    "message_id" TEXT,
    "in_reply_to" TEXT,
    "references" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "envelope" JSONB NOT NULL,
    "body_structure" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '[]',
    "snippet" TEXT NOT NULL DEFAULT '',
    "has_attachments" BOOLEAN NOT NULL DEFAULT false,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "search_vector" tsvector,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "blobs_pkey" PRIMARY KEY ("hash")
);
CREATE INDEX "blobs_search_vector_idx" ON "blobs" USING GIN ("search_vector");

CREATE TABLE "threads" (
    "id" BIGSERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "threads_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "threads_user_id_idx" ON "threads"("user_id");

CREATE TABLE "messages" (
    "id" BIGSERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "mailbox_id" INTEGER NOT NULL,
    "uid" INTEGER NOT NULL,
    "mod_seq" BIGINT NOT NULL,
    "blob_hash" TEXT NOT NULL,
    "thread_id" BIGINT NOT NULL,
    "message_id" TEXT,
    "flags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "internal_date" TIMESTAMPTZ(3) NOT NULL,
    "size" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "messages_mailbox_id_uid_key" ON "messages"("mailbox_id", "uid");
CREATE INDEX "messages_mailbox_id_mod_seq_idx" ON "messages"("mailbox_id", "mod_seq");
CREATE INDEX "messages_user_id_thread_id_idx" ON "messages"("user_id", "thread_id");
CREATE INDEX "messages_user_id_message_id_idx" ON "messages"("user_id", "message_id");
CREATE INDEX "messages_blob_hash_idx" ON "messages"("blob_hash");

CREATE TABLE "expunged" (
    "mailbox_id" INTEGER NOT NULL,
    "uid" INTEGER NOT NULL,
    "mod_seq" BIGINT NOT NULL,
    CONSTRAINT "expunged_pkey" PRIMARY KEY ("mailbox_id", "uid")
);
CREATE INDEX "expunged_mailbox_id_mod_seq_idx" ON "expunged"("mailbox_id", "mod_seq");

CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "user_agent" TEXT NOT NULL DEFAULT '',
    "ip" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

CREATE TABLE "app_passwords" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "app_passwords_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "app_passwords_user_id_idx" ON "app_passwords"("user_id");

CREATE TABLE "rate_limits" (
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,
    "window_start" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("key")
);

CREATE TABLE "outbound_messages" (
    "id" BIGSERIAL NOT NULL,
    "user_id" INTEGER,
    "sender" TEXT NOT NULL,
    "blob_hash" TEXT NOT NULL,
    "source" TEXT NOT NULL DEFAULT 'submission',
    "send_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "outbound_messages_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "outbound_messages_user_id_idx" ON "outbound_messages"("user_id");

CREATE TABLE "outbound_recipients" (
    "id" BIGSERIAL NOT NULL,
    "message_id" BIGINT NOT NULL,
    "address" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "status" "RecipientStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "remote_reply" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "outbound_recipients_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "outbound_recipients_status_next_attempt_at_idx" ON "outbound_recipients"("status", "next_attempt_at");
CREATE INDEX "outbound_recipients_message_id_idx" ON "outbound_recipients"("message_id");

ALTER TABLE "dkim_keys" ADD CONSTRAINT "dkim_keys_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "users" ADD CONSTRAINT "users_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "aliases" ADD CONSTRAINT "aliases_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alias_targets" ADD CONSTRAINT "alias_targets_alias_id_fkey" FOREIGN KEY ("alias_id") REFERENCES "aliases"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "alias_targets" ADD CONSTRAINT "alias_targets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "mailboxes" ADD CONSTRAINT "mailboxes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "threads" ADD CONSTRAINT "threads_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "messages" ADD CONSTRAINT "messages_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "messages" ADD CONSTRAINT "messages_mailbox_id_fkey" FOREIGN KEY ("mailbox_id") REFERENCES "mailboxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "messages" ADD CONSTRAINT "messages_blob_hash_fkey" FOREIGN KEY ("blob_hash") REFERENCES "blobs"("hash") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "messages" ADD CONSTRAINT "messages_thread_id_fkey" FOREIGN KEY ("thread_id") REFERENCES "threads"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "expunged" ADD CONSTRAINT "expunged_mailbox_id_fkey" FOREIGN KEY ("mailbox_id") REFERENCES "mailboxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "app_passwords" ADD CONSTRAINT "app_passwords_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "outbound_recipients" ADD CONSTRAINT "outbound_recipients_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "outbound_messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;
