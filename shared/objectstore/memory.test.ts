import { objectStoreContract } from "./contract.ts";
import { MemoryObjectStore } from "./memory.ts";

objectStoreContract("memory", async () => ({ store: new MemoryObjectStore() }), {
  conditional: true,
  manyKeys: 1100,
  largeObject: true,
});
