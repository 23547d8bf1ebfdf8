import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../lib/db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

// The migrations are written by hand (Prisma's schema engine cannot be downloaded here), so this
// test builds a database from them and compares it with the Prisma datamodel, read through
// Prisma's own schema parser (prisma-schema-wasm): every model, column, type, nullability,
// default, primary key, unique constraint, index, foreign key and enum.

const require = createRequire(import.meta.url);
const wasm = require("@prisma/prisma-schema-wasm/src/prisma_schema_build.js") as { get_dmmf(params: string): string };
const schemaFile = path.resolve(import.meta.dirname, "../../prisma/schema.prisma");
const schemaText = fs.readFileSync(schemaFile, "utf8");

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  isList: boolean;
  isRequired: boolean;
  isUnique: boolean;
  isId: boolean;
  hasDefaultValue: boolean;
  type: string;
  nativeType: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
  uniqueFields: string[][];
}
interface DmmfIndex {
  model: string;
  type: "id" | "normal" | "unique" | "fulltext";
  isDefinedOnField: boolean;
  algorithm?: string;
  dbName?: string | null;
  fields: { name: string }[];
}
const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", schemaText]] }))).datamodel as {
  models: DmmfModel[];
  enums: { name: string; dbName: string | null; values: { name: string }[] }[];
  indexes: DmmfIndex[];
};

/** Unsupported("…") fields do not appear in the DMMF; read them from the schema text. */
function unsupportedColumns(modelName: string): { column: string; type: string; optional: boolean }[] {
  const block = schemaText.match(new RegExp(`model ${modelName} \\{([\\s\\S]*?)\\n\\}`))?.[1] ?? "";
  return [...block.matchAll(/^\s*(\w+)\s+Unsupported\("([^"]+)"\)(\?)?(.*)$/gm)].map((m) => ({
    column: m[4].match(/@map\("([^"]+)"\)/)?.[1] ?? m[1],
    type: m[2],
    optional: m[3] === "?",
  }));
}

const tableOf = (m: DmmfModel) => m.dbName ?? m.name;
const columnOf = (model: DmmfModel, fieldName: string) => {
  const f = model.fields.find((x) => x.name === fieldName);
  if (f) return f.dbName ?? f.name;
  const u = unsupportedColumns(model.name).find(() => true);
  return u ? u.column : fieldName;
};

function expectedType(f: DmmfField): string {
  if (f.kind === "enum") return `"${f.type}"`;
  const native = f.nativeType;
  let t: string;
  if (native) {
    const [name, args] = native;
    t = { Timestamptz: `timestamptz(${args[0] ?? 6})`, Timestamp: `timestamp(${args[0] ?? 6})`, VarChar: `varchar(${args[0]})`, Text: "text" }[name] ?? name;
  } else {
    t = {
      String: "text",
      Int: "int4",
      BigInt: "int8",
      Boolean: "bool",
      DateTime: "timestamp(3)",
      Json: "jsonb",
      Bytes: "bytea",
      Float: "float8",
      Decimal: "numeric(65,30)",
    }[f.type]!;
  }
  return f.isList ? `${t}[]` : t;
}

function expectedDefault(f: DmmfField, table: string, column: string): string | null {
  if (!f.hasDefaultValue) return null;
  const d = f.default as { name?: string } | string | number | boolean | unknown[];
  if (typeof d === "object" && d !== null && !Array.isArray(d) && "name" in d) {
    if (d.name === "autoincrement") return `nextval('${table}_${column}_seq'::regclass)`;
    if (d.name === "now") return "CURRENT_TIMESTAMP";
    throw new Error(`unhandled default function ${d.name}`);
  }
  if (Array.isArray(d)) return `ARRAY[]::text[]`;
  if (typeof d === "boolean") return String(d);
  if (typeof d === "number") return String(d);
  if (f.kind === "enum") return `'${d}'::"${f.type}"`;
  if (f.type === "Json") return `'${d}'::jsonb`;
  if (f.type === "String") return `''${d === "" ? "" : d}'::text`.replace(/^''/, "'");
  if (f.type === "BigInt") return String(d);
  return String(d);
}

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  // A database built from nothing but the migration files.
  db = await createTestDatabase({ connect: false });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  const applied = await migrate(db.url);
  expect(applied.applied.length).toBeGreaterThan(0);
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

async function columns(table: string) {
  const r = await client.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_get_expr(d.adbin, d.adrelid) AS default
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );
  return r.rows as { name: string; type: string; notnull: boolean; default: string | null }[];
}

function normalizeType(t: string): string {
  return t
    .replace(/^integer/, "int4")
    .replace(/^bigint/, "int8")
    .replace(/^boolean/, "bool")
    .replace(/^double precision/, "float8")
    .replace(/^timestamp\((\d)\) with time zone/, "timestamptz($1)")
    .replace(/^timestamp\((\d)\) without time zone/, "timestamp($1)")
    .replace(/^character varying/, "varchar")
    .replace(/^"?([A-Za-z]+)"?(\[\])?$/, (m, name, arr) => (/^[A-Z]/.test(name) ? `"${name}"${arr ?? ""}` : m));
}

async function indexes(table: string) {
  const r = await client.query(
    `SELECT i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary, am.amname AS method,
            array(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
     FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
     JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' AND t.relname = $1 ORDER BY i.relname`,
    [table],
  );
  return r.rows as { name: string; unique: boolean; primary: boolean; method: string; columns: string[] }[];
}

describe("migrations match prisma/schema.prisma", () => {
  it("has exactly the models' tables", async () => {
    const r = await client.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_pigeon_migrations' ORDER BY 1",
    );
    expect(r.rows.map((x) => x.tablename)).toEqual(dmmf.models.map(tableOf).sort());
  });

  it("has the enums with their values", async () => {
    const r = await client.query(
      `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1`,
    );
    expect(r.rows.map((x) => ({ name: x.name, values: x.values }))).toEqual(
      dmmf.enums.map((e) => ({ name: e.dbName ?? e.name, values: e.values.map((v) => v.name) })).sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  for (const model of dmmf.models) {
    const table = tableOf(model);
    describe(model.name, () => {
      it("columns: names, types, nullability, defaults", async () => {
        const actual = await columns(table);
        const expected = [
          ...model.fields
            .filter((f) => f.kind === "scalar" || f.kind === "enum")
            .map((f) => {
              const column = f.dbName ?? f.name;
              return { name: column, type: expectedType(f), notnull: f.isRequired, default: expectedDefault(f, table, column) };
            }),
          ...unsupportedColumns(model.name).map((u) => ({ name: u.column, type: u.type, notnull: !u.optional, default: null })),
        ].sort((a, b) => a.name.localeCompare(b.name));
        const got = actual
          .map((c) => ({ name: c.name, type: normalizeType(c.type), notnull: c.notnull, default: c.default?.replace(/^'(-?\d+)'::bigint$/, "$1") ?? null }))
          .sort((a, b) => a.name.localeCompare(b.name));
        expect(got).toEqual(expected);
      });

      it("primary key, unique constraints and indexes (names, columns, method)", async () => {
        const actual = await indexes(table);
        const expected: { name: string; unique: boolean; primary: boolean; method: string; columns: string[] }[] = [];
        const idFields = model.primaryKey?.fields ?? model.fields.filter((f) => f.isId).map((f) => f.name);
        expected.push({ name: `${table}_pkey`, unique: true, primary: true, method: "btree", columns: idFields.map((f) => columnOf(model, f)) });
        for (const f of model.fields.filter((x) => x.isUnique)) {
          const col = f.dbName ?? f.name;
          expected.push({ name: `${table}_${col}_key`, unique: true, primary: false, method: "btree", columns: [col] });
        }
        for (const idx of dmmf.indexes.filter((i) => i.model === model.name && (i.type === "normal" || (i.type === "unique" && !i.isDefinedOnField)))) {
          const cols = idx.fields.map((f) => columnOf(model, f.name));
          const suffix = idx.type === "unique" ? "key" : "idx";
          expected.push({
            name: idx.dbName ?? `${table}_${cols.join("_")}_${suffix}`,
            unique: idx.type === "unique",
            primary: false,
            method: (idx.algorithm ?? "BTree").toLowerCase(),
            columns: cols,
          });
        }
        expect(actual).toEqual(expected.sort((a, b) => a.name.localeCompare(b.name)));
      });

      it("foreign keys with their referential actions", async () => {
        const r = await client.query(
          `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
           JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = $1 AND c.contype = 'f' ORDER BY 1`,
          [table],
        );
        const expected = model.fields
          .filter((f) => f.kind === "object" && f.relationFromFields && f.relationFromFields.length > 0)
          .map((f) => {
            const target = dmmf.models.find((m) => m.name === f.type)!;
            const from = f.relationFromFields!.map((x) => columnOf(model, x));
            const to = f.relationToFields!.map((x) => columnOf(target, x));
            const onDelete = { Cascade: "CASCADE", Restrict: "RESTRICT", SetNull: "SET NULL", NoAction: "NO ACTION" }[f.relationOnDelete ?? "Restrict"];
            return {
              name: `${table}_${from.join("_")}_fkey`,
              def: `FOREIGN KEY (${from.join(", ")}) REFERENCES ${tableOf(target)}(${to.join(", ")}) ON UPDATE CASCADE${onDelete === "NO ACTION" ? "" : ` ON DELETE ${onDelete}`}`,
            };
          })
          .sort((a, b) => a.name.localeCompare(b.name));
        expect(r.rows).toEqual(expected);
      });
    });
  }

  it("re-running the migrations changes nothing", async () => {
    const again = await migrate(db.url);
    expect(again.applied).toEqual([]);
  });
});
