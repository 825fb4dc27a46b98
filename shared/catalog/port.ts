// What the write path needs from the catalog: the field types already fixed per measurement.
import type { FieldType } from "../lineprotocol/types.ts";

/** measurement -> field -> type */
export type FieldTypeMap = ReadonlyMap<string, ReadonlyMap<string, FieldType>>;

export interface FieldTypeLookup {
  /** Field types known for a database's measurements. Implementations cache briefly (seconds). */
  fieldTypes(database: string): Promise<FieldTypeMap>;
}
