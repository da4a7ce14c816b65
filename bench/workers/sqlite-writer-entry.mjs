// Worker threads do not inherit tsx's loader for their entry file
// (privatenumber/tsx#354), so the writer thread starts here and loads its
// TypeScript through tsx's scoped import.
import { tsImport } from "tsx/esm/api";

await tsImport("./sqlite-writer.ts", import.meta.url);
