-- AlterTable
ALTER TABLE "outbound_recipients" ADD COLUMN "delay_notified_at" TIMESTAMPTZ(3);
