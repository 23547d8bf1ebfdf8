-- Administration: domain admins over several domains, an optional MTA-STS policy per domain, and
-- the log of inbound deliveries and rejections that the admin pages show.
CREATE TYPE "DeliveryStatus" AS ENUM ('ACCEPTED', 'REJECTED');

ALTER TABLE "domains" ADD COLUMN "mta_sts_mode" TEXT;
ALTER TABLE "domains" ADD COLUMN "mta_sts_id" TEXT;

CREATE TABLE "domain_admins" (
    "user_id" INTEGER NOT NULL,
    "domain_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "domain_admins_pkey" PRIMARY KEY ("user_id", "domain_id")
);
CREATE INDEX "domain_admins_domain_id_idx" ON "domain_admins"("domain_id");
ALTER TABLE "domain_admins" ADD CONSTRAINT "domain_admins_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "domain_admins" ADD CONSTRAINT "domain_admins_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "delivery_log" (
    "id" BIGSERIAL NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "direction" TEXT NOT NULL DEFAULT 'inbound',
    "session_id" TEXT,
    "remote_ip" TEXT NOT NULL DEFAULT '',
    "remote_host" TEXT,
    "helo" TEXT,
    "mail_from" TEXT,
    "recipients" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "status" "DeliveryStatus" NOT NULL,
    "stage" TEXT,
    "reason" TEXT,
    "spf" TEXT,
    "dkim" TEXT,
    "dmarc" TEXT,
    "arc" TEXT,
    "message_id" TEXT,
    "size" INTEGER,
    CONSTRAINT "delivery_log_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "delivery_log_created_at_idx" ON "delivery_log"("created_at");
