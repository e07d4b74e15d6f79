// The registry of user-owned tables (convex/model/userTables.ts) must list every table with
// a `userId` field, each with an index that starts with `userId`: export and erasure walk
// only the registry, so a table missing here would be silently kept and never exported.
import { type TableDefinition, defineSchema, defineTable } from "convex/server";
import { type GenericValidator, v } from "convex/values";
import { describe, expect, it } from "vitest";
import { RATE_LIMIT_TABLE, USER_RATE_LIMIT_NAMES, USER_TABLES } from "../../convex/model/userTables";
import schema from "../../convex/schema";

/** Field names of a table's document validator (an object, or a union of objects). */
function fieldNames(validator: GenericValidator): string[] {
  if (validator.kind === "object") return Object.keys(validator.fields);
  if (validator.kind === "union") return validator.members.flatMap(fieldNames);
  return [];
}

function indexesOf(table: TableDefinition): { indexDescriptor: string; fields: string[] }[] {
  return table[" indexes"]();
}

/** Every way the registry disagrees with the schema; empty when it is complete. */
function registryProblems(tables: Record<string, TableDefinition>, registry: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, table] of Object.entries(tables)) {
    const hasUserId = fieldNames(table.validator).includes("userId");
    if (hasUserId && !(name in registry)) problems.push(`${name} has a userId field but is not in USER_TABLES`);
    if (!hasUserId && name in registry) problems.push(`${name} is in USER_TABLES but has no userId field`);
  }
  for (const [name, indexName] of Object.entries(registry)) {
    const table = tables[name];
    if (table === undefined) {
      problems.push(`${name} is in USER_TABLES but not in the schema`);
      continue;
    }
    const index = indexesOf(table).find((candidate) => candidate.indexDescriptor === indexName);
    if (index === undefined) problems.push(`${name}.${indexName} is not an index of the table`);
    else if (index.fields[0] !== "userId") {
      problems.push(`${name}.${indexName} starts with ${index.fields[0]}, not userId`);
    }
  }
  return problems;
}

describe("the registry of user-owned tables", () => {
  it("lists every table with a userId field, each with an index starting with userId", () => {
    expect(registryProblems(schema.tables, USER_TABLES)).toEqual([]);
  });

  it("keeps global data out (skills and skillEdges stay on erasure)", () => {
    expect(Object.keys(USER_TABLES)).not.toContain("skills");
    expect(Object.keys(USER_TABLES)).not.toContain("skillEdges");
    expect(Object.keys(USER_TABLES)).not.toContain("users"); // deleted last, on its own
  });

  it("fails for a new table with a userId field that is not registered", () => {
    const grown = defineSchema({
      ...schema.tables,
      journalEntries: defineTable({ userId: v.id("users"), text: v.string() }).index("by_user", ["userId"]),
      // A union document type counts too, if any branch carries a userId.
      attachments: defineTable(
        v.union(v.object({ kind: v.literal("global"), url: v.string() }), v.object({ kind: v.literal("mine"), userId: v.id("users") })),
      ),
    });
    expect(registryProblems(grown.tables, USER_TABLES)).toEqual([
      "journalEntries has a userId field but is not in USER_TABLES",
      "attachments has a userId field but is not in USER_TABLES",
    ]);
  });

  it("fails when a registered index does not start with userId or does not exist", () => {
    expect(registryProblems(schema.tables, { ...USER_TABLES, connections: "by_star", stars: "by_nothing" })).toEqual([
      "stars.by_nothing is not an index of the table",
      "connections.by_star starts with starA, not userId",
    ]);
  });

  it("clears the rate limiter through its (name, key) index for each per-user limiter", () => {
    expect(USER_RATE_LIMIT_NAMES).toEqual(["sendMessage", "recomputeLifeState"]);
    const table = (schema.tables as Record<string, TableDefinition>)[RATE_LIMIT_TABLE];
    expect(table).toBeDefined();
    expect(fieldNames(table.validator)).toContain("key");
    expect(indexesOf(table).find((index) => index.indexDescriptor === "name")?.fields.slice(0, 2)).toEqual([
      "name",
      "key",
    ]);
  });
});
