import { z } from "zod";
import { AppError } from "../../errors.ts";

/** `schema` applied to a request's query string; a failure is a 400 naming the field. */
export function parseQuery<T extends z.ZodTypeAny>(req: Request, schema: T): z.output<T> {
  const params = Object.fromEntries(new URL(req.url).searchParams);
  return parseWith(schema, params);
}

export async function parseBody<T extends z.ZodTypeAny>(req: Request, schema: T): Promise<z.output<T>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new AppError("INVALID", "The request body must be JSON.");
  }
  return parseWith(schema, body);
}

export function parseWith<T extends z.ZodTypeAny>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AppError("INVALID", `${issue.path.join(".") || "request"}: ${issue.message}`);
  }
  return r.data;
}
