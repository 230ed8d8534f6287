# dev-instances: numbered, isolated copies of the stack side by side.
# Arguments reach the tool as separate words ("$@"), never pasted into a shell string.
set positional-arguments

# List the recipes
default:
    @just --list

# Run, inspect or reset instances of the ShipSec example (examples/shipsec): just dev [N|all] [ACTION] [FLAGS] (just dev --help)
[no-exit-message]
dev *args:
    @cd examples/shipsec && node ../../bin/dev.mjs "$@"

# Run the test suite (what CI runs)
test:
    npm test

# Measure start-up and lifecycle costs (bench/)
bench:
    npm run bench
