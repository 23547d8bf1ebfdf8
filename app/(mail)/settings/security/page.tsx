import type { Metadata } from "next";
import QRCode from "qrcode";
import { ChangePasswordForm } from "@/components/settings/change-password-form";
import { Section } from "@/components/settings/section";
import { SubmitButton } from "@/components/settings/submit-button";
import { DisableTwoFactorForm, RegenerateRecoveryCodesForm, TwoFactorEnrolment } from "@/components/settings/two-factor-forms";
import { getTwoFactorState } from "@/lib/auth/totp";
import { startTwoFactorAction } from "@/lib/web/actions/security-actions";
import { requireSession } from "@/lib/web/session";

export const metadata: Metadata = { title: "Security" };
export const dynamic = "force-dynamic";

export default async function SecurityPage() {
  const session = await requireSession();
  const twoFactor = await getTwoFactorState({ userId: session.userId });

  return (
    <>
      <Section title="Password" description="Changing your password signs out every other device." testId="password">
        <ChangePasswordForm />
      </Section>

      <Section
        title="Two-factor sign-in"
        testId="two-factor"
        description="A code from an authenticator app (such as Aegis, Google Authenticator or 1Password) at every web sign-in. Mail clients then need app passwords."
      >
        {twoFactor.status === "off" && (
          <form action={startTwoFactorAction}>
            <SubmitButton pendingText="Preparing…">Set up two-factor sign-in</SubmitButton>
          </form>
        )}
        {twoFactor.status === "pending" && <Enrolment secret={twoFactor.secret} uri={twoFactor.uri} />}
        {twoFactor.status === "on" && (
          <div className="flex flex-col gap-6">
            <p className="text-sm">
              <span className="rounded-full bg-emerald-100 px-2 py-0.5 font-medium text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100">
                On
              </span>{" "}
              <span data-testid="recovery-codes-left">{twoFactor.recoveryCodesLeft}</span> unused recovery codes left.
            </p>
            <div>
              <h3 className="mb-2 font-medium">Recovery codes</h3>
              <RegenerateRecoveryCodesForm />
            </div>
            <div>
              <h3 className="mb-2 font-medium">Turn off</h3>
              <DisableTwoFactorForm />
            </div>
          </div>
        )}
      </Section>
    </>
  );
}

async function Enrolment({ secret, uri }: { secret: string; uri: string }) {
  // Rendered here, on the server: the secret never goes to a third-party QR service.
  const svg = await QRCode.toString(uri, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  return <TwoFactorEnrolment qrDataUrl={`data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`} secret={secret} />;
}
