#!/usr/bin/env bash
# Creates the project.json, jest.config.js and src/ of a new Nx project.
# usage: tools/scaffold-project.sh <root> <name> <projectType> <tag>...
set -euo pipefail
root=$1 name=$2 type=$3
shift 3
tags=$(printf '"%s",' "$@")
depth=$(echo "$root" | awk -F/ '{print NF}')
up=$(printf '../%.0s' $(seq 1 "$depth"))
mkdir -p "$root/src"
cat > "$root/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "${up}node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$root/src",
  "projectType": "$type",
  "tags": [${tags%,}],
  "targets": {
    "test": {
      "executor": "@nx/jest:jest",
      "options": { "jestConfig": "$root/jest.config.js" }
    }
  }
}
JSON
cat > "$root/jest.config.js" <<JS
module.exports = { ...require('${up}jest.preset.js'), displayName: '$name', rootDir: __dirname };
JS
