// What one delivery attempt did for one recipient.

export interface FailureDetails {
  /** Host name of the remote MTA that answered, when one did. */
  remoteMta?: string;
  /** The remote SMTP reply, or Pigeon's own reason. */
  diagnostic?: string;
  diagnosticType?: "smtp" | "x-pigeon";
}

export type DeliveryOutcome =
  | { kind: "delivered"; reply: string }
  | ({
      kind: "deferred" | "bounced";
      /** RFC 3463 enhanced status, e.g. 4.4.1 or 5.1.1. */
      status: string;
      /** One line for last_error and the logs. */
      error: string;
    } & FailureDetails);

export function deferred(status: string, error: string, extra: FailureDetails = {}): DeliveryOutcome {
  return { kind: "deferred", status, error, diagnostic: error, diagnosticType: "x-pigeon", ...extra };
}

export function bounced(status: string, error: string, extra: FailureDetails = {}): DeliveryOutcome {
  return { kind: "bounced", status, error, diagnostic: error, diagnosticType: "x-pigeon", ...extra };
}
