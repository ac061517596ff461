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
# Each key then meets the same rule the control plane checked when it rendered the user data
# (FLEET_RULE_HINTS below says each in words: change both together).
declare -A FLEET_RULES=(
  # The config's own rule for role names (domain/roles.ts ROLE_NAME): every role it accepts runs here.
  [FLEET_ROLE]='^[a-z][a-z0-9-]{0,19}$'
  [FLEET_DB_HOST]='^[A-Za-z0-9.:][A-Za-z0-9.:-]{0,252}$'
  [FLEET_WORKERS]='^[1-9][0-9]{0,5}$'
  [FLEET_STACK]='^[A-Za-z0-9][A-Za-z0-9-]{0,127}$'
  [FLEET_INTENT_ID]='^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'
  [FLEET_DRAIN_SECONDS]='^(0|[1-9][0-9]{0,3})$'
)
# The largest value of a numeric key, checked once its pattern has passed.
declare -A FLEET_MAXIMUMS=([FLEET_WORKERS]=262144 [FLEET_DRAIN_SECONDS]=3600)
# A role name's rule in words (role.env's FLEET_ROLE, install.sh's --server-roles).
_fleet_role_words="a lowercase letter first, then lowercase letters, digits or '-', at most 20 characters"
# Every role.env rule (pattern and maximum) in words, for the error that names a value breaking it.
declare -A FLEET_RULE_HINTS=(
  [FLEET_ROLE]="a role name: $_fleet_role_words in all"
  [FLEET_DB_HOST]="a DB host name or IP address: a letter, digit, '.' or ':' first, then letters, digits, '.', ':' or '-', at most 253 characters in all"
  [FLEET_WORKERS]='a worker count: a whole number from 1 to 262144, without leading zeros'
  [FLEET_STACK]="a stack name: a letter or digit first, then letters, digits or '-', at most 128 characters in all"
  [FLEET_INTENT_ID]="an intent id: a letter or digit first, then letters, digits, '.', '_', ':' or '-', at most 128 characters in all"
  [FLEET_DRAIN_SECONDS]='a whole number of seconds from 0 to 3600, without leading zeros'
)
FLEET_REQUIRED=(FLEET_ROLE FLEET_DB_HOST FLEET_WORKERS)

# Reads role.env into the FLEET_* variables (exported) or exits naming the line or key at fault. The
# units do not load role.env themselves: what the kit's processes get from it is what passed here.
fleet_load_role_env() {
  local file=$FLEET_ROLE_ENV line key value max n=0
  local -A seen=()
  [[ -f $file ]] || fleet_die "$file is missing: the launch's user data writes it"
  fleet_check_file "$file" 022
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
    # Compared as a number only once the pattern has passed: digits, no leading zero.
    max=${FLEET_MAXIMUMS[$key]:-}
    if ! [[ $value =~ ${FLEET_RULES[$key]} ]] || { [[ -n $max ]] && ((value > max)); }; then
      fleet_die_hint "$file line $n: $key" "$value" "${FLEET_RULE_HINTS[$key]}"
    fi
    printf -v "$key" '%s' "$value"
    export "${key?}"
  done <"$file"
  for key in "${FLEET_REQUIRED[@]}"; do
    [[ -n ${seen[$key]:-} ]] || fleet_die "$file: $key is missing"
  done
}

# What this server's role runs: `app` (the app server) for a role named in SERVER_ROLES, `workers`
# (FLEET_WORKERS background workers) for any other. Needs kit.env and role.env loaded.
fleet_role_runs() {
  # shellcheck disable=SC2153 # FLEET_ROLE is set by fleet_load_role_env through printf -v
  if [[ ,${SERVER_ROLES:-app}, == *",$FLEET_ROLE,"* ]]; then echo app; else echo workers; fi
}

# kit.env: KEY=value, the value taken verbatim (it may hold a command line). Only install.sh writes
# it, root-owned and readable by the kit's group only; nothing from user data reaches it. Every
# script checks it again when it loads it, with the same rules install.sh applied.
FLEET_SETTING_KEYS=(APP_USER DEPLOY_USER APP_DIR APP_PORT RELEASE_SOURCE RELEASE_REF RELEASE_SHA256
  RELEASE_MOVING APP_START WORKER_START BUILD_HOOK SERVER_ROLES HEALTH_PATH KIT_HEALTH_PORT
  KEEP_RELEASES FETCH_ATTEMPTS FETCH_BACKOFF_SECONDS)
# The group that may read kit.env: the app user and the deploy user, nobody else.
# shellcheck disable=SC2034 # used by install.sh
FLEET_GROUP=fleet-pilot

# Every setting's rule (FLEET_SETTING_HINTS below says each in words: change both together). None
# admits '|', '&' or '\' (install.sh puts values into units with sed).
# A git source carries no user name, password or token (URL credentials end up in logs, process
# lists and the release's own records): the deploy user's credential helper or ssh key gives them.
_fleet_role='[a-z][a-z0-9-]{0,19}'
declare -A FLEET_SETTING_RULES=(
  [APP_USER]='^[a-z_][a-z0-9_-]{0,31}$'
  [DEPLOY_USER]='^[a-z_][a-z0-9_-]{0,31}$'
  [APP_DIR]='^(/[A-Za-z0-9._-]+)+$'
  [APP_PORT]='^[1-9][0-9]{0,4}$'
  [KIT_HEALTH_PORT]='^[1-9][0-9]{0,4}$'
  [RELEASE_SOURCE]='^(s3://[a-z0-9][a-z0-9.-]{1,62}/[^[:space:]]+|(https|git|file)://[A-Za-z0-9./_~%+-]*|ssh://([a-z_][a-z0-9_.-]*@)?[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?/[A-Za-z0-9./_~%+-]*|[a-z_][a-z0-9_.-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[A-Za-z0-9._~/+-]+)$'
  [RELEASE_REF]='^([A-Za-z0-9][A-Za-z0-9._/-]{0,199})?$'
  [RELEASE_SHA256]='^([0-9a-f]{64})?$'
  [RELEASE_MOVING]='^(yes|no)$'
  [SERVER_ROLES]="^$_fleet_role(,$_fleet_role)*\$"
  [HEALTH_PATH]='^/[A-Za-z0-9._~/?=&%-]*$'
  [KEEP_RELEASES]='^([1-9]|[1-9][0-9])$'
  [FETCH_ATTEMPTS]='^([1-9]|1[0-9]|20)$'
  [FETCH_BACKOFF_SECONDS]='^([0-9]|[1-5][0-9]|60)$'
)

# Every rule in words, for the error that names a value breaking it: "'VALUE' is not " goes first.
# A line break here starts a new line of the message.
_fleet_user_words="a user name: a lowercase letter or '_' first, then lowercase letters, digits, '_' or '-', at most 32 characters in all"
_fleet_port_words='a port number: 1 to 65535, digits only, no leading zero'
declare -A FLEET_SETTING_HINTS=(
  [APP_USER]=$_fleet_user_words
  [DEPLOY_USER]=$_fleet_user_words
  [APP_DIR]="an absolute path such as /srv/app: names of letters, digits, '.', '_' or '-', each after a single '/', and no '/' at the end"
  [APP_PORT]=$_fleet_port_words
  [KIT_HEALTH_PORT]=$_fleet_port_words
  [RELEASE_SOURCE]="a release source. Expected one of:
- s3://BUCKET/KEY: BUCKET 2 to 63 lowercase letters, digits, dots or hyphens, a letter or digit first; KEY any text without spaces
- https://, git:// or file:// followed by letters, digits and . / _ ~ % + - only (no user name, password, port or query)
- ssh://[USER@]HOST[:PORT]/PATH
- USER@HOST:PATH (the scp-like form), PATH not empty and without %
where USER is a lowercase letter or '_' then lowercase letters, digits, '_', '.' or '-'; HOST a letter or digit then letters, digits, '.' or '-'; PORT digits; PATH letters, digits and . / _ ~ % + -"
  [RELEASE_REF]="a git ref name: a letter or digit first, then letters, digits, '.', '_', '/' or '-', at most 200 characters in all"
  [RELEASE_SHA256]='a SHA-256 as sha256sum prints it: 64 lowercase hexadecimal digits (0-9, a-f)'
  [RELEASE_MOVING]='yes or no'
  [SERVER_ROLES]="a comma-separated list of role names: each $_fleet_role_words; no spaces and no empty names"
  [HEALTH_PATH]="a path: '/' first, then letters, digits and . _ ~ / ? = & % - only"
  [KEEP_RELEASES]='a whole number from 1 to 99, without leading zeros'
  [FETCH_ATTEMPTS]='a whole number from 1 to 20, without leading zeros'
  [FETCH_BACKOFF_SECONDS]='a whole number of seconds from 0 to 60, without leading zeros'
)

# Prints $2 word-wrapped into lines of at most 80 columns, the first after $1 columns already used
# (the log tag). A line of $2 after the first starts indented by two spaces; a wrapped line goes on
# two spaces further in. A single word longer than the line stays whole.
fleet_wrap() {
  local col=$1 out='' line word more n=0 started
  local -a words
  while IFS= read -r line; do
    more='  '
    if ((n++ > 0)); then
      out+=$'\n  '
      col=2 more='    '
    fi
    read -r -a words <<<"$line"
    started=no
    for word in "${words[@]}"; do
      if [[ $started == yes ]] && ((col + 1 + ${#word} > 80)); then
        out+=$'\n'"$more"
        col=${#more}
      elif [[ $started == yes ]]; then
        out+=' '
        ((col += 1))
      fi
      out+=$word
      ((col += ${#word}))
      started=yes
    done
  done <<<"$2"
  printf '%s' "$out"
}

# Exits saying that $2, given as $1, is not $3 (a rule in words), wrapped to 80 columns.
fleet_die_hint() {
  fleet_die "$(fleet_wrap $((${#FLEET_TAG} + 2)) "$1: '$2' is not $3")"
}

# Exits saying that $2, given as $1, breaks the rule of setting $3, in words.
fleet_die_rule() { fleet_die_hint "$1" "$2" "${FLEET_SETTING_HINTS[$3]}"; }

# How a setting is named in an error: install.sh names its flag as well.
fleet_setting_name() { printf '%s' "$1"; }

# Checks every setting (already read into its variable) and how they fit together; exits naming the
# first one at fault. The same check runs at install and whenever a kit script loads kit.env.
fleet_check_settings() {
  local key value
  for key in "${FLEET_SETTING_KEYS[@]}"; do
    value=${!key-}
    [[ $value != *$'\n'* && $value != *$'\r'* ]] || fleet_die "$(fleet_setting_name "$key"): must be one line"
    if [[ -n ${FLEET_SETTING_RULES[$key]:-} ]] && ! [[ $value =~ ${FLEET_SETTING_RULES[$key]} ]]; then
      fleet_die_rule "$(fleet_setting_name "$key")" "$value" "$key"
    fi
  done
  [[ $APP_USER != root ]] || fleet_die "$(fleet_setting_name APP_USER): the app must not run as root"
  [[ $DEPLOY_USER != root ]] || fleet_die "$(fleet_setting_name DEPLOY_USER): the deploy must not run as root"
  [[ $DEPLOY_USER != "$APP_USER" ]] || fleet_die "$(fleet_setting_name DEPLOY_USER): must differ from the app user, or the app could rewrite its own releases"
  [[ $APP_DIR != *'/..'* && $APP_DIR != *'/./'* && $APP_DIR != */. ]] || fleet_die "$(fleet_setting_name APP_DIR): no '.' or '..' components"
  ((APP_PORT <= 65535)) || fleet_die "$(fleet_setting_name APP_PORT): $APP_PORT is above 65535"
  ((KIT_HEALTH_PORT <= 65535)) || fleet_die "$(fleet_setting_name KIT_HEALTH_PORT): $KIT_HEALTH_PORT is above 65535"
  # Every server listens on the health port, an app server on APP_PORT as well.
  ((KIT_HEALTH_PORT != APP_PORT)) || fleet_die "$(fleet_setting_name KIT_HEALTH_PORT): $KIT_HEALTH_PORT is also $(fleet_setting_name APP_PORT); pick another port"
  [[ -n $APP_START || -n $WORKER_START ]] || fleet_die "$(fleet_setting_name APP_START) or $(fleet_setting_name WORKER_START) is required"
  fleet_check_release
}

# A release is pinned unless RELEASE_MOVING=yes says otherwise: a git source names a full commit id
# (checked after the fetch) or a tag (fetched from refs/tags/ only), an S3 object its SHA-256.
fleet_check_release() {
  local ref=$RELEASE_REF
  if [[ $RELEASE_SOURCE == s3://* ]]; then
    [[ -z $ref ]] || fleet_die "$(fleet_setting_name RELEASE_REF): only for a git source; an S3 release is pinned by $(fleet_setting_name RELEASE_SHA256)"
    [[ -n $RELEASE_SHA256 || $RELEASE_MOVING == yes ]] ||
      fleet_die "$(fleet_setting_name RELEASE_SHA256): required for an S3 release (sha256sum of the tarball), or say $(fleet_setting_name RELEASE_MOVING)=yes to deploy whatever the object holds"
    return 0
  fi
  [[ -z $RELEASE_SHA256 ]] || fleet_die "$(fleet_setting_name RELEASE_SHA256): only for an S3 release; a git release is pinned by a commit id or a tag"
  [[ -n $ref ]] || fleet_die "$(fleet_setting_name RELEASE_REF): required for a git source: a full commit id or a tag (or a branch with $(fleet_setting_name RELEASE_MOVING)=yes)"
  [[ $ref != *..* && $ref != *//* && $ref != */ && $ref != *.lock && $ref != *.lock/* ]] ||
    fleet_die "$(fleet_setting_name RELEASE_REF): '$ref' is not a valid git ref name"
}

# Whether RELEASE_REF is a full commit id (SHA-1 or SHA-256), not a tag or branch name.
fleet_ref_is_commit() { [[ $RELEASE_REF =~ ^([0-9a-f]{40}|[0-9a-f]{64})$ ]]; }

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

# Fails unless $1 is a regular file (not a symlink) that only root (or, in a test root, the user
# running the kit) can change, and with mode bits outside $2 (octal) clear.
fleet_check_file() {
  local file=$1 forbidden=$2 facts owner mode kind
  facts=$(stat -c '%u %a %F' -- "$file") || fleet_die "$file: cannot stat"
  read -r owner mode kind <<<"$facts"
  [[ $kind == 'regular file' ]] || fleet_die "$file must be a regular file, not a $kind"
  [[ $owner == 0 || (-n $FLEET_ROOT && $owner == "$EUID") ]] || fleet_die "$file must be owned by root (owner uid $owner)"
  (((8#$mode & 8#$forbidden) == 0)) || fleet_die "$file has mode $mode: expected none of the bits $forbidden (chmod it, or run install.sh again)"
}

fleet_load_settings() {
  [[ -f $FLEET_SETTINGS ]] || fleet_die "$FLEET_SETTINGS is missing: run the kit's install.sh when baking the image"
  # Commands and the release source live here: writable by root alone, readable by the kit's group.
  fleet_check_file "$FLEET_SETTINGS" 027
  local key
  for key in "${FLEET_SETTING_KEYS[@]}"; do printf -v "$key" '%s' ''; done
  fleet_read_settings "$FLEET_SETTINGS"
  # A kit.env from before DEPLOY_USER, RELEASE_MOVING and SERVER_ROLES existed gets their defaults.
  : "${DEPLOY_USER:=fleetdeploy}" "${RELEASE_MOVING:=no}" "${SERVER_ROLES:=app}"
  fleet_check_settings
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
