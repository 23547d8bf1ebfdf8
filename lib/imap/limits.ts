import type { ImapLimits as ReaderLimits } from "./parser.ts";

// Every bound a client runs into (issue 4, item 3). A connection's memory is bounded by these,
// whatever the client sends: lines, literals and commands by size, lists by depth.

export interface ImapLimits {
  /** Longest command line (literals excluded); RFC 7162 §4 asks for at least 8192. */
  maxLineLength: number;
  /** Largest message APPEND takes, advertised as APPENDLIMIT (RFC 7889). */
  appendLimit: number;
  /** Largest literal before login (LOGIN arguments only). */
  maxLiteralSizeUnauthenticated: number;
  /** Largest command once logged in, literals included (bounds MULTIAPPEND). */
  maxCommandSize: number;
  maxCommandSizeUnauthenticated: number;
  maxNestingDepth: number;
  /** BAD answers before the server gives up on the client with BYE. */
  maxBadCommands: number;
  /** Failed AUTHENTICATE/LOGIN attempts on one connection before BYE. */
  maxAuthFailures: number;
  /** Autologout once authenticated (RFC 9051 §5.4: at least 30 minutes); IDLE is exempt. */
  idleTimeoutMs: number;
  /** Before authentication a silent client is dropped sooner. */
  preAuthTimeoutMs: number;
  /** "* OK Still here" during IDLE, for NAT boxes that forget quiet connections. */
  idleKeepaliveMs: number;
  /** A client that does not read its responses for this long is dropped. */
  writeTimeoutMs: number;
  /** Messages per FETCH batch read from the store (memory per connection). */
  fetchBatchSize: number;
  /** Bytes of message data per FETCH batch read from the store. */
  fetchBatchBytes: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** How often a token login re-checks that its web session still stands (sign-out ends IMAP). */
  webSessionCheckMs: number;
}

export function defaultLimits(maxMessageSize = 25 * 1024 * 1024): ImapLimits {
  return {
    maxLineLength: 64 * 1024,
    appendLimit: maxMessageSize,
    maxLiteralSizeUnauthenticated: 4 * 1024,
    maxCommandSize: 2 * maxMessageSize + 64 * 1024,
    maxCommandSizeUnauthenticated: 16 * 1024,
    maxNestingDepth: 32,
    maxBadCommands: 10,
    maxAuthFailures: 3,
    idleTimeoutMs: 30 * 60_000,
    preAuthTimeoutMs: 3 * 60_000,
    idleKeepaliveMs: 2 * 60_000,
    writeTimeoutMs: 10 * 60_000,
    fetchBatchSize: 1000,
    fetchBatchBytes: 8 * 1024 * 1024,
    maxConnections: 10_000,
    maxConnectionsPerIp: 1000,
    webSessionCheckMs: 60_000,
  };
}

/** The framing limits of the command reader. */
export function readerLimits(limits: ImapLimits): Partial<ReaderLimits> {
  return {
    maxLineLength: limits.maxLineLength,
    maxLiteralSize: limits.appendLimit,
    maxLiteralSizeUnauthenticated: limits.maxLiteralSizeUnauthenticated,
    maxNonSyncLiteralSize: Number.POSITIVE_INFINITY,
    maxCommandSize: limits.maxCommandSize,
    maxCommandSizeUnauthenticated: limits.maxCommandSizeUnauthenticated,
    maxNestingDepth: limits.maxNestingDepth,
  };
}
