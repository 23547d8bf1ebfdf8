import { AppError } from "../../../errors.ts";
import { isOwnedAddress, ownedAddresses } from "../../../smtp/submission-identity.ts";
import type { Recipient } from "./addresses.ts";
import { getMailSettings } from "./settings.ts";

// Who a message from the webmail is from: the account's address, or an alias of the user's (the
// same rule submission applies to MAIL FROM and From:), with the display name from Settings.

export interface SenderChoice {
  addresses: string[];
  defaultAddress: string;
  displayName: string;
}

export async function senderChoices(input: { userId: number; email: string }): Promise<SenderChoice> {
  const [owned, settings] = await Promise.all([ownedAddresses({ userId: input.userId }), getMailSettings({ userId: input.userId })]);
  const own = input.email.toLowerCase();
  return { addresses: [own, ...[...owned].filter((a) => a !== own).sort()], defaultAddress: own, displayName: settings.displayName };
}

export async function resolveSender(input: { userId: number; email: string; requested?: string | null }): Promise<Recipient> {
  const [owned, settings] = await Promise.all([ownedAddresses({ userId: input.userId }), getMailSettings({ userId: input.userId })]);
  if (owned.size === 0) throw new AppError("FORBIDDEN", "This account cannot send mail.");
  const address = (input.requested || input.email).trim();
  if (!isOwnedAddress(owned, address)) throw new AppError("FORBIDDEN", `You cannot send as ${address}.`);
  return { name: settings.displayName, address: address.toLowerCase() };
}
