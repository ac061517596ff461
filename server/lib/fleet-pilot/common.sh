# shellcheck shell=bash
# fleet-pilot server kit: what every kit script shares. Paths, journal logging, and the two parsers:
# role.env (written by the control plane's user data; parsed strictly, never sourced) and kit.env
# (the app's settings, written by install.sh when the image is baked; root-owned and trusted).

# FLEET_KIT_ROOT prefixes every path so the scripts can run against a temporary root (tests, image
# builds). On a server it is unset.
FLEET_ROOT=${FLEET_KIT_ROOT:-}
FLEET_ETC="$FLEET_ROOT/etc/fleet-pilot"
FLEET_ROLE_ENV="$FLEET_ETC/role.env"
FLEET_SETTINGS="$FLEET_ETC/kit.env"
# shellcheck disable=SC2034 # used by the scripts that source this file
FLEET_DRAINING="$FLEET_ETC/draining"
# Written by the user data of a server launched for the warm pool; removed at its next boot.
# shellcheck disable=SC2034
FLEET_WARMING="$FLEET_ETC/warming"
# shellcheck disable=SC2034
FLEET_HOSTS="$FLEET_ROOT/etc/hosts"
FLEET_TAG=${FLEET_TAG:-fleet-pilot}

# Under systemd, stderr already goes to the journal tagged by the unit's SyslogIdentifier=. Run by
# hand on a server, a copy also goes to the journal through logger, tagged the same way.
fleet_log() {
  local level=$1
  shift
  printf '%s: %s\n' "$FLEET_TAG" "$*" >&2
  if [[ -z ${INVOCATION_ID:-} && -z $FLEET_ROOT ]] && command -v logger >/dev/null; then
    logger -t "$FLEET_TAG" -p "user.$level" -- "$*" || true
  fi
}

fleet_die() {
  fleet_log err "$*"
  exit 1
}

# role.env: one KEY=value per line, the value from a small character set. Anything else (quotes,
# spaces, `$`, backticks, `;`, `\`, a line the user data did not write) rejects the whole file.
# Each key then meets the same rule the control plane checked when it rendered the user data.
declare -A FLEET_RULES=(
  [FLEET_ROLE]='^[a-z][a-z0-9-]{0,63}$'
  [FLEET_DB_HOST]='^[A-Za-z0-9.:][A-Za-z0-9.:-]{0,252}$'
  [FLEET_WORKERS]='^[1-9][0-9]{0,5}$'
  [FLEET_STACK]='^[A-Za-z0-9][A-Za-z0-9-]{0,127}$'
  [FLEET_INTENT_ID]='^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'
  [FLEET_DRAIN_SECONDS]='^(0|[1-9][0-9]{0,3})$'
)
FLEET_REQUIRED=(FLEET_ROLE FLEET_DB_HOST FLEET_WORKERS)

# Reads role.env into the FLEET_* variables (exported) or exits naming the line or key at fault. The
# units do not load role.env themselves: what the kit's processes get from it is what passed here.
fleet_load_role_env() {
  local file=$FLEET_ROLE_ENV line key value n=0
  local -A seen=()
  [[ -f $file ]] || fleet_die "$file is missing: the launch's user data writes it"
  # Only what this file says counts, not what the environment already held.
  unset "${!FLEET_RULES[@]}"
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    [[ -z $line || $line == '#'* ]] && continue
    if [[ ! $line =~ ^([A-Z][A-Z0-9_]*)=([A-Za-z0-9._:-]*)$ ]]; then
      fleet_die "$file line $n rejected: expected KEY=value with letters, digits, '.', '_', ':' or '-' (no quotes, spaces, \$, backticks)"
    fi
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    [[ -z ${seen[$key]:-} ]] || fleet_die "$file line $n: $key is set twice"
    seen[$key]=1
    if [[ -z ${FLEET_RULES[$key]:-} ]]; then
      fleet_log warning "$file line $n: $key is not a key the kit reads; ignored, not exported"
      continue
    fi
    [[ $value =~ ${FLEET_RULES[$key]} ]] || fleet_die "$file line $n: $key has a value outside its pattern ${FLEET_RULES[$key]}"
    printf -v "$key" '%s' "$value"
    export "${key?}"
  done <"$file"
  for key in "${FLEET_REQUIRED[@]}"; do
    [[ -n ${seen[$key]:-} ]] || fleet_die "$file: $key is missing"
  done
  ((FLEET_WORKERS <= 262144)) || fleet_die "$file: FLEET_WORKERS=$FLEET_WORKERS is over 262144"
  ((${FLEET_DRAIN_SECONDS:-0} <= 3600)) || fleet_die "$file: FLEET_DRAIN_SECONDS=$FLEET_DRAIN_SECONDS is over 3600"
  # shellcheck disable=SC2153 # set above through printf -v
  case $FLEET_ROLE in
  app | job) ;;
  *) fleet_die "$file: FLEET_ROLE=$FLEET_ROLE is not a role this server runs (expected app or job)" ;;
  esac
}

# kit.env: KEY=value, the value taken verbatim (it may hold a command line). Only install.sh writes
# it; nothing from user data reaches it.
FLEET_SETTING_KEYS=(APP_USER APP_DIR APP_PORT RELEASE_SOURCE RELEASE_REF APP_START WORKER_START
  BUILD_HOOK HEALTH_PATH KIT_HEALTH_PORT KEEP_RELEASES FETCH_ATTEMPTS FETCH_BACKOFF_SECONDS)

# Reads a settings file into the named variables or exits naming the line at fault.
fleet_read_settings() {
  local file=$1 line key n=0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    [[ -z $line || $line == '#'* ]] && continue
    key=${line%%=*}
    if [[ $line != *=* || ! " ${FLEET_SETTING_KEYS[*]} " == *" $key "* ]]; then
      fleet_die "$file line $n: expected one of ${FLEET_SETTING_KEYS[*]} as KEY=value"
    fi
    printf -v "$key" '%s' "${line#*=}"
  done <"$file"
}

fleet_load_settings() {
  [[ -f $FLEET_SETTINGS ]] || fleet_die "$FLEET_SETTINGS is missing: run the kit's install.sh when baking the image"
  if [[ -z $FLEET_ROOT ]]; then
    local owner
    owner=$(stat -c '%u %A' "$FLEET_SETTINGS")
    [[ $owner =~ ^0\ .....-..-.$ ]] || fleet_die "$FLEET_SETTINGS must be owned by root and writable by root only"
  fi
  fleet_read_settings "$FLEET_SETTINGS"
  APP_HOME="$FLEET_ROOT$APP_DIR"
}

# The release `current` points at, or nothing.
fleet_current_release() {
  local target
  target=$(readlink "$APP_HOME/current" 2>/dev/null) || return 0
  printf '%s\n' "${target##*/}"
}

fleet_usage_if_help() {
  local usage=$1
  shift
  if [[ ${1:-} == --help || ${1:-} == -h ]]; then
    printf '%s\n' "$usage"
    exit 0
  fi
}
