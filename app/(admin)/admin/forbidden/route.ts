import { getCurrentSession } from "@/lib/web/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Where admin pages send whoever may not see them (see denyAdminPage): a 403 page.
export async function GET() {
  const session = await getCurrentSession();
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>403 · Pigeon</title>
<style>body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#f8fafc;color:#0f172a}
main{max-width:28rem;padding:2rem;text-align:center}h1{font-size:1.5rem}a{color:#2754c5}
@media (prefers-color-scheme: dark){body{background:#020617;color:#f1f5f9}a{color:#93b4ff}}</style></head>
<body><main><h1>403 · Administrators only</h1>
<p>${session ? "Your account cannot open the administration pages." : "Sign in with an administrator account."}</p>
<p><a href="${session ? "/mail" : "/login"}">${session ? "Back to your mail" : "Sign in"}</a></p></main></body></html>`;
  return new Response(html, { status: 403, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}
