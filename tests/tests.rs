//! Integration tests: one test binary, each module a part of the tool seen from outside.

mod aggregate;
mod build; // `mastery build`: PDFs that checkers accept, reproducibility, hostile data, sandbox
mod common; // helpers: running the binary, temporary school folders, outside tools
mod explain; // `mastery explain`: the working, as snapshots
mod validate; // `mastery validate`: the example school and every fixture in fixtures/invalid // the aggregation methods: worked examples and properties
