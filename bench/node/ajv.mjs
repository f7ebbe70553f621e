// The validation anchor: ajv 8 (Ajv2020 with ajv-formats) checking every record of a JSON
// Lines file against the student schema; parse and schema only, no meaning checks.
//
//   node ajv.mjs RECORDS.jsonl SCHEMA.json first|all
//
// Prints how many records were valid and how many errors were found.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [file, schemaFile, mode] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: mode === "all", strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
let valid = 0;
let errors = 0;
for (const line of readFileSync(file, "utf8").split("\n")) {
  if (!line.trim()) continue;
  if (validate(JSON.parse(line))) valid++;
  else errors += validate.errors.length;
}
console.log(JSON.stringify({ valid, errors }));
