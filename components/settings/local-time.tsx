"use client";

/** A date in the reader's own time zone and locale (the server renders UTC until hydration). */
export function LocalTime({ iso }: { iso: string }) {
  const d = new Date(iso);
  const text = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  return (
    <time dateTime={iso} title={d.toISOString()} suppressHydrationWarning>
      {text}
    </time>
  );
}
