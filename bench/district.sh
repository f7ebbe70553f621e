# Sourced by the bench scripts: `district MASTERY DIR STUDENTS` makes DIR/school, the example
# school's framework with STUDENTS generated students (one JSON Lines file) instead of its own.
district() {
  cp -r fixtures/example-school "$2/school"
  rm -f "$2"/school/students/*
  "$1" gen-fixtures "$2/school" --students "$3" --out "$2/school/students/generated.jsonl" 2>/dev/null
}
