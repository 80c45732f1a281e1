#!/usr/bin/env bash
# Propose a drift run's mechanical fixes as ONE pull request (opened, updated, or closed when clean).
#
#   fix-pr.sh [DRIFT_JSON]      default artifacts/drift.json; run from the repository root
#
# `python -m keyguide fix` applies what is mechanical (renamed labels, moved links) to facts.yml,
# bumps the pages that render them and builds strictly; this script commits that to one branch,
# force-pushes it, and opens or updates one pull request whose body carries each fix's evidence and
# what still needs a writer. Screenshots the run took (SCREENS, default artifacts/screens) ride in
# the same pull request: `keyguide screens update` copies only live shots whose pixels changed. So do
# the baselines the run recorded (BASELINES, default artifacts/baselines): `keyguide baselines update`
# copies only live ones whose items changed, and the body shows each one's diff, so merging the pull
# request is the review of what OpenAI changed (the first live run proposes the first baselines).
# A clean run (no drift, no changed shot or baseline) closes the open pull request. Nothing else.
# Env: GH_TOKEN (for gh), RUN_URL (link to the run), FIX_BRANCH (default guide-drift/fixes),
# BASE_BRANCH (default main), PYTHON (default .venv/bin/python), GITHUB_OUTPUT (gets url=…).
set -euo pipefail

report=${1:-artifacts/drift.json}
branch=${FIX_BRANCH:-guide-drift/fixes}
base=${BASE_BRANCH:-main}
python=${PYTHON:-.venv/bin/python}
run_url=${RUN_URL:-}
screens=${SCREENS:-artifacts/screens}
baselines=${BASELINES:-artifacts/baselines}
output=${GITHUB_OUTPUT:-/dev/null}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

open_pr() { gh pr list --head "$branch" --state open --limit 1 --json number --jq '.[0].number // empty'; }

if [ ! -f "$report" ]; then
  echo "no drift report at $report: no fix pull request"
  exit 0
fi

if ! "$python" -m keyguide fix "$report" --pr-body "$work/body.md" --run-url "$run_url" \
    > "$work/fix.txt" 2> "$work/fix.err"; then
  echo "::warning::keyguide fix refused the report: $(head -n 1 "$work/fix.err")"
  exit 0
fi

touch "$work/screens.txt"
if [ -f "$screens/screens.json" ]; then
  if ! "$python" -m keyguide screens update "$screens" > "$work/screens.txt" 2>&1; then
    echo "::warning::keyguide screens update refused a shot: $(grep -m 1 'refused\|error' "$work/screens.txt" || true)"
  fi
  cat "$work/screens.txt"
fi
shots=$(grep -c ': copied to ' "$work/screens.txt" || true)
if [ "$shots" != "0" ]; then
  { echo; echo "### Screenshots ($shots)"; echo; grep ': copied to ' "$work/screens.txt" | sed 's/^/- /'; } >> "$work/body.md"
fi

touch "$work/baselines.txt"
if [ -d "$baselines" ]; then
  if ! "$python" -m keyguide baselines update "$baselines" --markdown "$work/baselines.md" > "$work/baselines.txt" 2>&1; then
    echo "::warning::keyguide baselines update refused a baseline: $(grep -m 1 'refused\|error' "$work/baselines.txt" || true)"
  fi
  cat "$work/baselines.txt"
fi
changed=$(grep -c ': copied to ' "$work/baselines.txt" || true)
if [ "$changed" != "0" ] && [ -s "$work/baselines.md" ]; then
  { echo; cat "$work/baselines.md"; } >> "$work/body.md"
fi

# New files (a first screenshot or baseline) count as changes too, so not `git diff`.
if [ -z "$(git status --porcelain -- facts.yml docs pages.lock.json baselines)" ]; then
  drift=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["drift"])' "$report")
  existing=$(open_pr)
  if [ "$drift" = "0" ] && [ -n "$existing" ]; then
    gh pr close "$existing" --delete-branch --comment "The guide matches OpenAI again ([this run]($run_url)): closing."
  fi
  echo "nothing to fix mechanically"
  echo "url=" >> "$output"
  exit 0
fi

git config user.name "guide-drift"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git checkout -q -B "$branch"
git add facts.yml docs pages.lock.json baselines
git commit -q -m "Guide drift: apply the mechanical fixes, changed screenshots and baselines of the drift run" -m "$run_url"
git push -q --force origin "$branch"

title="Guide drift: $(grep -c '^set ' "$work/fix.txt" || true) mechanical fix(es)"
if [ "$shots" != "0" ]; then title="$title, $shots screenshot(s)"; fi
if [ "$changed" != "0" ]; then title="$title, $changed baseline(s) to review"; fi
existing=$(open_pr)
if [ -n "$existing" ]; then
  gh pr edit "$existing" --title "$title" --body-file "$work/body.md"
  url=$(gh pr view "$existing" --json url --jq .url)
else
  url=$(gh pr create --head "$branch" --base "$base" --title "$title" --body-file "$work/body.md")
fi
echo "fix pull request: $url"
echo "url=$url" >> "$output"
