import { signOutAction } from "@/lib/web/actions/auth-actions";
import { buttonClassName } from "@/components/ui/button";

export function SignOutButton() {
  return (
    <form action={signOutAction}>
      <button type="submit" className={buttonClassName({ variant: "ghost" })}>
        Sign out
      </button>
    </form>
  );
}
