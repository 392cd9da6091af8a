#!/usr/bin/env bash
# Sets up a customer-managed AWS KMS key and an IAM role for CyberSentriq BYOK, verifies them end-to-end
# and prints the four values to paste into RedApp. Written for AWS CloudShell, and runs with AWS CLI v1 and v2.
# Run with --help for the options and exit statuses.
set -euo pipefail

readonly SCRIPT_NAME="${0##*/}"
readonly DEFAULT_KEY_ALIAS='alias/cybersentriq-byok'
readonly DEFAULT_KEY_DESCRIPTION='CyberSentriq BYOK customer-managed key'
readonly DEFAULT_ROLE_NAME='CyberSentriqKmsRole'
readonly PERMISSIONS_POLICY_NAME='CyberSentriqKmsAccess'
readonly VERIFY_SESSION_NAME='cybersentriq-setup-check'
readonly RULE='================================================================'

readonly EXIT_ERROR=1
readonly EXIT_USAGE=2
readonly EXIT_VERIFY_FAILED=3

readonly UUID_PATTERN='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
readonly PARTITION_PATTERN='aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?'
readonly REGION_PATTERN='^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$'
readonly IAM_NAME_PATTERN='[A-Za-z0-9+=,.@_-]+'
readonly KEY_ID_PATTERN='([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-f]{32})'
readonly ALIAS_NAME_PATTERN='alias/[A-Za-z0-9/_-]{1,250}'

usage() {
  cat <<EOF
Usage: $SCRIPT_NAME --platform-principal-arn <arn> [options]

Creates (or reuses) a symmetric AWS KMS key and an IAM role that the CyberSentriq
platform principal can assume with an External ID, verifies both end-to-end by
assuming the role and encrypting and decrypting a test value, and prints the four
values to paste into RedApp: Role ARN, External ID, Key ARN and Region.

Required:
  --platform-principal-arn <arn>  CyberSentriq platform principal ARN, as shown on
                                  the AWS KMS setup screen in RedApp.

Options:
  --key-id <id>             Reuse this existing KMS key instead of creating one: key ID,
                            key ARN, alias name (alias/...) or alias ARN.
  --key-alias <alias>       Alias for the new key (default: $DEFAULT_KEY_ALIAS).
                            If the alias exists, its key is checked and reused.
                            Ignored with --key-id.
  --key-description <text>  Description of the new key
                            (default: "$DEFAULT_KEY_DESCRIPTION").
                            Ignored with --key-id.
  --no-rotation             Disable annual rotation of the new key (default: rotation
                            enabled). Ignored with --key-id.
  --role-name <name>        IAM role to create or update (default: $DEFAULT_ROLE_NAME).
  --external-id <uuid>      External ID for the trust-policy condition (default: the
                            UUID already in the role's trust policy, otherwise a new
                            random UUID). If the existing role's trust policy has a
                            different External ID, the script stops without changing
                            anything, because the RedApp company that uses it would
                            lose access to its key.
  --replace-external-id     Replace a different External ID in the existing role's
                            trust policy instead of stopping. Use it only when no
                            RedApp company uses the old External ID any more. To set
                            up another company, pass another --role-name instead.
  --region <region>         AWS region (default: \$AWS_REGION, then the AWS CLI's
                            configured region). A key ARN or alias ARN given with
                            --key-id sets the region and overrides --region.
  -h, --help                Print this help and exit.

Environment:
  AWS_ENDPOINT_URL               If set, passed to every AWS CLI call as --endpoint-url.
  CYBERSENTRIQ_VERIFY_TIMEOUT    Seconds to keep retrying the end-to-end check while IAM
                                 changes propagate (default: 120).

Exit status:
  0    the role is configured and verified end-to-end
  1    an error stopped the setup; the message says what was created and what to do
  2    invalid command line
  3    the role is configured but the end-to-end check failed (WARNING block)
  130  interrupted by Ctrl-C (143: terminated), after the trust policy is restored

Requires the AWS CLI and an IAM user or role with iam:*, kms:* and sts:* permissions
(an AWS account administrator is simplest). The root user cannot run the check.
EOF
}

usage_error() {
  printf '%s: %s\n\n' "$SCRIPT_NAME" "$1" >&2
  usage >&2
  exit "$EXIT_USAGE"
}

log() {
  printf '%s\n' "$*" >&2
}

die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit "$EXIT_ERROR"
}

# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

platform_principal_arn=''
key_id_input=''
key_alias="$DEFAULT_KEY_ALIAS"
key_description="$DEFAULT_KEY_DESCRIPTION"
rotation_enabled=true
replace_external_id=false
role_name="$DEFAULT_ROLE_NAME"
external_id=''
region_flag=''

# Stores the value of an option that takes one, from "--flag value" or "--flag=value".
# Sets option_value and option_shift (how many arguments the option used).
read_option_value() {
  local flag="$1" inline="$2" has_inline="$3" next_present="$4" next="${5-}"
  if [[ "$has_inline" == true ]]; then
    option_value="$inline"
    option_shift=1
  elif [[ "$next_present" == true ]]; then
    option_value="$next"
    option_shift=2
  else
    usage_error "missing value for $flag"
  fi
  [[ -n "$option_value" ]] || usage_error "empty value for $flag"
}

parse_arguments() {
  local arg flag inline has_inline next_present
  while (($# > 0)); do
    arg="$1"
    flag="$arg"
    inline=''
    has_inline=false
    if [[ "$arg" == --*=* ]]; then
      flag="${arg%%=*}"
      inline="${arg#*=}"
      has_inline=true
    fi
    next_present=false
    (($# > 1)) && next_present=true

    case "$flag" in
      -h | --help)
        usage
        exit 0
        ;;
      --no-rotation)
        [[ "$has_inline" == false ]] || usage_error "--no-rotation takes no value"
        rotation_enabled=false
        shift
        continue
        ;;
      --replace-external-id)
        [[ "$has_inline" == false ]] || usage_error "--replace-external-id takes no value"
        replace_external_id=true
        shift
        continue
        ;;
      --platform-principal-arn | --key-id | --key-alias | --key-description | --role-name | --external-id | --region)
        read_option_value "$flag" "$inline" "$has_inline" "$next_present" "${2-}"
        ;;
      -*)
        usage_error "unknown option: $arg"
        ;;
      *)
        usage_error "unexpected argument: $arg"
        ;;
    esac

    case "$flag" in
      --platform-principal-arn) platform_principal_arn="$option_value" ;;
      --key-id) key_id_input="$option_value" ;;
      --key-alias) key_alias="$option_value" ;;
      --key-description) key_description="$option_value" ;;
      --role-name) role_name="$option_value" ;;
      --external-id) external_id="$option_value" ;;
      --region) region_flag="$option_value" ;;
    esac
    shift "$option_shift"
  done
}

validate_arguments() {
  [[ -n "$platform_principal_arn" ]] || usage_error "missing required option --platform-principal-arn"
  [[ "$platform_principal_arn" =~ ^arn:${PARTITION_PATTERN}:iam::[0-9]{12}:(user|role)/(${IAM_NAME_PATTERN}/)*${IAM_NAME_PATTERN}$ ]] ||
    usage_error "invalid --platform-principal-arn '$platform_principal_arn': expected an IAM user or role ARN such as arn:aws:iam::156214480941:user/cybersentriq-kms-connector"

  if [[ -n "$key_id_input" ]]; then
    [[ "$key_id_input" =~ ^${KEY_ID_PATTERN}$ ||
      "$key_id_input" =~ ^${ALIAS_NAME_PATTERN}$ ||
      "$key_id_input" =~ ^arn:${PARTITION_PATTERN}:kms:[a-z0-9-]+:[0-9]{12}:(key/${KEY_ID_PATTERN}|${ALIAS_NAME_PATTERN})$ ]] ||
      usage_error "invalid --key-id '$key_id_input': expected a key ID, key ARN, alias name (alias/...) or alias ARN"
  fi

  [[ "$key_alias" =~ ^${ALIAS_NAME_PATTERN}$ ]] ||
    usage_error "invalid --key-alias '$key_alias': expected alias/ followed by 1-250 letters, digits, '/', '_' or '-'"
  [[ "$key_alias" != alias/aws/* ]] ||
    usage_error "invalid --key-alias '$key_alias': the alias/aws/ prefix is reserved for AWS managed keys"
  ((${#key_description} <= 8192)) || usage_error "invalid --key-description: longer than 8192 characters"

  [[ "$role_name" =~ ^${IAM_NAME_PATTERN}$ && ${#role_name} -le 64 ]] ||
    usage_error "invalid --role-name '$role_name': expected 1-64 letters, digits or +=,.@_-"

  if [[ -n "$external_id" ]]; then
    [[ "$external_id" =~ $UUID_PATTERN ]] ||
      usage_error "invalid --external-id '$external_id': expected a UUID such as 8f1e4c2b-7a3d-4e9f-b8c1-2d5e6f7a8b9c"
  fi

  if [[ -n "$region_flag" ]]; then
    [[ "$region_flag" =~ $REGION_PATTERN ]] || usage_error "invalid --region '$region_flag': expected a region name such as us-east-1"
  fi

  verify_timeout="${CYBERSENTRIQ_VERIFY_TIMEOUT:-120}"
  [[ "$verify_timeout" =~ ^[0-9]{1,5}$ ]] ||
    usage_error "invalid CYBERSENTRIQ_VERIFY_TIMEOUT '$verify_timeout': expected a whole number of seconds"
}

# ---------------------------------------------------------------------------
# AWS CLI calls
# ---------------------------------------------------------------------------

region=''
work_dir=''
aws_out=''
aws_err=''

# IAM is global within a partition and accepts only requests signed for the partition's IAM region.
# The CLI picks that region by itself for AWS's own endpoints, but not when --endpoint-url is given.
iam_region() {
  case "$region" in
    cn-*) printf 'cn-north-1' ;;
    us-gov-*) printf 'us-gov-west-1' ;;
    *) printf 'us-east-1' ;;
  esac
}

# Runs the AWS CLI against the chosen region (and AWS_ENDPOINT_URL, which some CLI versions ignore),
# storing stdout in aws_out and stderr in aws_err. Returns the CLI's exit status.
call_aws() {
  local endpoint_args=() call_region="$region"
  [[ -z "${AWS_ENDPOINT_URL:-}" ]] || endpoint_args=(--endpoint-url "$AWS_ENDPOINT_URL")
  [[ "$1" != iam ]] || call_region="$(iam_region)"
  local status=0
  aws_out="$(aws ${endpoint_args[@]+"${endpoint_args[@]}"} --region "$call_region" "$@" 2>"$work_dir/stderr")" || status=$?
  aws_err="$(<"$work_dir/stderr")"
  return "$status"
}

aws_error_code() {
  local code
  code="$(sed -n 's/.*An error occurred (\([A-Za-z.]*\)).*/\1/p' <<<"$aws_err" | head -n 1)"
  printf '%s' "${code:-unknown}"
}

aws_error_summary() {
  local line
  line="$(grep -v '^[[:space:]]*$' <<<"$aws_err" | tail -n 1)"
  printf '%s' "${line:-the AWS CLI exited with an error and printed nothing}"
}

is_access_denied() {
  [[ "$(aws_error_code)" == AccessDenied* ]]
}

# Stops the script after a failed AWS call. On AccessDenied it also prints the permissions the caller needs.
fail_aws() {
  local operation="$1"
  printf 'ERROR: %s failed: %s\n' "$operation" "$(aws_error_summary)" >&2
  if is_access_denied; then
    printf 'The caller %s lacks iam:* / kms:* permissions. Run the script as an AWS administrator,\n' "${caller_arn:-}" >&2
    printf 'or attach the required permissions (iam:*, kms:*, sts:*) to that identity, then run it again.\n' >&2
  fi
  exit "$EXIT_ERROR"
}

# ---------------------------------------------------------------------------
# Cleanup: the trust policy must name only the platform principal when the script ends
# ---------------------------------------------------------------------------

role_arn=''
key_arn=''
trust_restore_needed=false
setup_finished=false
created_items=()
retry_hint=''
sleep_pid=''

# Writes the trust policy: the platform principal with the External ID condition and, while the
# end-to-end check runs, the caller with the same condition.
write_trust_policy() {
  local file="$1" include_caller="$2" caller_statement=''
  if [[ "$include_caller" == true ]]; then
    caller_statement=",
    {
      \"Sid\": \"SetupScriptVerification\",
      \"Effect\": \"Allow\",
      \"Principal\": { \"AWS\": \"$caller_principal_arn\" },
      \"Action\": \"sts:AssumeRole\",
      \"Condition\": { \"StringEquals\": { \"sts:ExternalId\": \"$external_id\" } }
    }"
  fi
  cat >"$file" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "CyberSentriqPlatformAssumeRole",
      "Effect": "Allow",
      "Principal": { "AWS": "$platform_principal_arn" },
      "Action": "sts:AssumeRole",
      "Condition": { "StringEquals": { "sts:ExternalId": "$external_id" } }
    }$caller_statement
  ]
}
EOF
}

# Removes the caller from the trust policy, retrying because this is what keeps the role safe.
restore_trust_policy() {
  local attempt
  write_trust_policy "$work_dir/trust-final.json" false
  for attempt in 1 2 3 4 5; do
    if call_aws iam update-assume-role-policy --role-name "$role_name" \
      --policy-document "file://$work_dir/trust-final.json"; then
      trust_restore_needed=false
      return 0
    fi
    log "Removing $caller_principal_arn from the trust policy failed (attempt $attempt of 5): $(aws_error_summary)"
    sleep 2
  done
  return 1
}

# shellcheck disable=SC2317 # Reached only from the EXIT and signal traps.
print_failure_report() {
  local item
  if ((${#created_items[@]} > 0)); then
    log ''
    log 'Created before the failure:'
    for item in "${created_items[@]}"; do
      log "  - $item"
    done
  fi
  if [[ -n "$retry_hint" ]]; then
    log "$retry_hint"
  fi
}

# shellcheck disable=SC2317 # Reached only from the EXIT and signal traps.
on_exit() {
  local status=$?
  set +e
  trap '' INT TERM
  [[ -z "$sleep_pid" ]] || kill "$sleep_pid" 2>/dev/null
  if [[ "$trust_restore_needed" == true ]]; then
    if restore_trust_policy; then
      log "Removed $caller_principal_arn from the trust policy of $role_name: it trusts only $platform_principal_arn."
    else
      log "ERROR: could not remove $caller_principal_arn from the trust policy of role $role_name."
      log 'Remove it now: run the script again, or in the IAM console edit the role'"'"'s trust policy so that'
      log "only $platform_principal_arn may assume it, with the sts:ExternalId condition."
      ((status == 0 || status == EXIT_VERIFY_FAILED)) && status=$EXIT_ERROR
    fi
  fi
  if [[ "$setup_finished" == false && $status -ne 0 && $status -ne $EXIT_USAGE ]]; then
    print_failure_report
  fi
  [[ -z "$work_dir" ]] || rm -rf "$work_dir"
  exit "$status"
}

# shellcheck disable=SC2317 # Reached only from the EXIT and signal traps.
on_signal() {
  local signal="$1" status="$2"
  log ''
  log "Interrupted by SIG$signal."
  exit "$status"
}

# ---------------------------------------------------------------------------
# Region, caller and External ID
# ---------------------------------------------------------------------------

resolve_region() {
  local arn_region=''
  if [[ "$key_id_input" == arn:* ]]; then
    arn_region="$(cut -d: -f4 <<<"$key_id_input")"
  fi

  if [[ -n "$arn_region" ]]; then
    if [[ -n "$region_flag" && "$region_flag" != "$arn_region" ]]; then
      log "Using region $arn_region from the --key-id ARN; it overrides --region $region_flag."
    fi
    region="$arn_region"
  elif [[ -n "$region_flag" ]]; then
    region="$region_flag"
  elif [[ -n "${AWS_REGION:-}" ]]; then
    region="$AWS_REGION"
  elif [[ -n "${AWS_DEFAULT_REGION:-}" ]]; then
    region="$AWS_DEFAULT_REGION"
  else
    region="$(aws configure get region 2>/dev/null || true)"
  fi

  [[ -n "$region" ]] || usage_error "no region: pass --region (for example --region us-east-1) or set AWS_REGION"
  [[ "$region" =~ $REGION_PATTERN ]] || usage_error "invalid region '$region': expected a region name such as us-east-1"
}

caller_arn=''
caller_account=''
caller_principal_arn=''

# Finds the principal to add to the trust policy for the end-to-end check: an IAM user as itself,
# an assumed role (including IAM Identity Center roles) as its role ARN with the role's path.
resolve_caller() {
  call_aws sts get-caller-identity --query '[Account, Arn]' --output text || fail_aws 'GetCallerIdentity'
  read -r caller_account caller_arn <<<"$aws_out"

  case "$caller_arn" in
    arn:*:iam::*:root)
      die "the script is running as the root user of account $caller_account, which cannot assume roles, so the end-to-end check cannot run.
Sign in as an IAM user or role with administrator access (iam:*, kms:*, sts:*), open CloudShell as that identity and run the script again."
      ;;
    arn:*:iam::*:user/*)
      caller_principal_arn="$caller_arn"
      ;;
    arn:*:sts::*:assumed-role/*/*)
      local caller_role_name="${caller_arn#*:assumed-role/}"
      caller_role_name="${caller_role_name%%/*}"
      call_aws iam get-role --role-name "$caller_role_name" --query 'Role.Arn' --output text ||
        fail_aws "GetRole on the caller's role $caller_role_name"
      caller_principal_arn="$aws_out"
      ;;
    *)
      die "the caller $caller_arn cannot assume roles, so the end-to-end check cannot run.
Run the script as an IAM user or an assumed IAM role with administrator access (iam:*, kms:*, sts:*)."
      ;;
  esac
}

# Prints a new random UUID in lowercase, from uuidgen, the kernel or python3, and logs which one.
generate_uuid() {
  local uuid='' source=''
  if command -v uuidgen >/dev/null 2>&1; then
    source='uuidgen'
    uuid="$(uuidgen -r 2>/dev/null || uuidgen)"
  elif [[ -r /proc/sys/kernel/random/uuid ]]; then
    source='/proc/sys/kernel/random/uuid'
    uuid="$(</proc/sys/kernel/random/uuid)"
  elif command -v python3 >/dev/null 2>&1; then
    source='python3'
    uuid="$(python3 -c 'import uuid; print(uuid.uuid4())')"
  fi
  uuid="$(tr 'A-F' 'a-f' <<<"$uuid")"
  [[ "$uuid" =~ $UUID_PATTERN ]] ||
    die "could not generate a UUID for the External ID (tried uuidgen, /proc/sys/kernel/random/uuid and python3). Pass one with --external-id."
  log "Generated a new External ID with $source."
  printf '%s' "$uuid"
}

# ---------------------------------------------------------------------------
# Existing role and External ID
# ---------------------------------------------------------------------------

role_exists=false
existing_external_ids=()
replaced_external_ids=()

# Stores the distinct sts:ExternalId values of the role's trust policy (StringEquals conditions only),
# in policy order, in existing_external_ids.
read_existing_external_ids() {
  call_aws iam get-role --role-name "$role_name" \
    --query 'Role.AssumeRolePolicyDocument.Statement[].Condition.StringEquals."sts:ExternalId"' --output text ||
    fail_aws "GetRole on $role_name"
  local value known is_new
  existing_external_ids=()
  while read -r value; do
    [[ -n "$value" && "$value" != None ]] || continue
    is_new=true
    for known in ${existing_external_ids[@]+"${existing_external_ids[@]}"}; do
      [[ "$known" != "$value" ]] || is_new=false
    done
    [[ "$is_new" == false ]] || existing_external_ids+=("$value")
  done < <(tr -s '[:space:]' '\n' <<<"$aws_out")
}

# Prints "External ID X" or "External IDs X, Y".
describe_external_ids() {
  if (($# == 1)); then
    printf 'External ID %s' "$1"
  else
    local joined
    joined="$(printf '%s, ' "$@")"
    printf 'External IDs %s' "${joined%, }"
  fi
}

# Stops before anything is changed when this run would replace an External ID that the existing role
# trusts. Each External ID belongs to one RedApp company, so replacing it cuts that company off its key.
reject_external_id_replacement() {
  local old suggested_role
  old="$(describe_external_ids "$@")"
  # IAM role names are at most 64 characters: 55 of the role name, a hyphen and 8 of the External ID.
  suggested_role="${role_name:0:55}-${external_id:0:8}"
  die "role $role_name already trusts $old, and this run would replace it with External ID $external_id. Nothing was changed.
The RedApp company that uses $old would lose access to its key, because RedApp could no longer assume the role.
To set up another company in this AWS account, run the script again with --role-name $suggested_role to create a separate role for it.
Add --key-alias alias/cybersentriq-byok-${external_id:0:8} as well to give it a key of its own: with one key, disabling it cuts off both companies.
If no RedApp company uses $old any more, run the script again with --replace-external-id to replace it."
}

# Looks up the role and settles the External ID before the key or the role is changed, so that a run
# for another company stops before it changes anything.
resolve_role_and_external_id() {
  if call_aws iam get-role --role-name "$role_name" --query 'Role.Arn' --output text; then
    role_exists=true
    role_arn="$aws_out"
    read_existing_external_ids
  elif [[ "$(aws_error_code)" != NoSuchEntity ]]; then
    fail_aws "GetRole on $role_name"
  fi

  local candidate
  if [[ -z "$external_id" ]]; then
    for candidate in ${existing_external_ids[@]+"${existing_external_ids[@]}"}; do
      if [[ "$candidate" =~ $UUID_PATTERN ]]; then
        external_id="$candidate"
        log "Keeping the External ID already in the trust policy of role $role_name."
        break
      fi
    done
    [[ -n "$external_id" ]] || external_id="$(generate_uuid)"
  fi

  for candidate in ${existing_external_ids[@]+"${existing_external_ids[@]}"}; do
    [[ "$candidate" == "$external_id" ]] || replaced_external_ids+=("$candidate")
  done
  if ((${#replaced_external_ids[@]} > 0)) && [[ "$replace_external_id" == false ]]; then
    reject_external_id_replacement "${replaced_external_ids[@]}"
  fi
}

# ---------------------------------------------------------------------------
# KMS key
# ---------------------------------------------------------------------------

key_reused=false
key_reused_aliases=''

# Describes a key and stops unless it is an enabled, symmetric, customer managed encryption key.
check_key() {
  local key_ref="$1" how_given="$2"
  if ! call_aws kms describe-key --key-id "$key_ref" \
    --query 'KeyMetadata.[Arn, KeyState, KeySpec || CustomerMasterKeySpec, KeyUsage, KeyManager, DeletionDate]' \
    --output text; then
    if [[ "$(aws_error_code)" == NotFoundException ]]; then
      die "KMS key $key_ref ($how_given) was not found in region $region. Check the key ID or alias, and pass the region where the key is with --region (or pass the full key ARN)."
    fi
    fail_aws "DescribeKey on $key_ref"
  fi

  local arn state spec usage manager deletion_date
  read -r arn state spec usage manager deletion_date <<<"$aws_out"

  case "$state" in
    Enabled) ;;
    Disabled)
      die "KMS key $arn is disabled. Enable it (aws kms enable-key --key-id $arn --region $region) or choose another key, then run the script again."
      ;;
    PendingDeletion | PendingReplicaDeletion)
      die "KMS key $arn is pending deletion (scheduled for $deletion_date). Cancel the deletion (aws kms cancel-key-deletion --key-id $arn --region $region), enable the key, then run the script again, or choose another key."
      ;;
    *)
      die "KMS key $arn is in state $state, not Enabled. Choose an enabled key, or wait until it is enabled and run the script again."
      ;;
  esac
  case "$spec" in
    SYMMETRIC_DEFAULT) ;;
    HMAC_*)
      die "KMS key $arn is an HMAC key ($spec). CyberSentriq needs a symmetric encryption key (SYMMETRIC_DEFAULT)."
      ;;
    *)
      die "KMS key $arn is asymmetric ($spec). Asymmetric keys are not supported: CyberSentriq needs a symmetric encryption key (SYMMETRIC_DEFAULT)."
      ;;
  esac
  # SYMMETRIC_DEFAULT keys can only be ENCRYPT_DECRYPT, so a response without KeyUsage is accepted.
  [[ "$usage" == ENCRYPT_DECRYPT || "$usage" == None ]] ||
    die "KMS key $arn has key usage $usage. CyberSentriq needs a key for ENCRYPT_DECRYPT."
  [[ "$manager" != AWS ]] ||
    die "KMS key $arn is an AWS managed key, whose key policy cannot allow CyberSentriq's role. Use a customer managed key."

  key_arn="$arn"
}

# Stores the key's alias names, separated by ", ", in key_reused_aliases.
read_key_aliases() {
  if call_aws kms list-aliases --key-id "$key_arn" --query 'Aliases[].AliasName' --output text; then
    key_reused_aliases="$(tr -s '[:space:]' '\n' <<<"$aws_out" | { grep -v -e '^$' -e '^None$' || true; } |
      paste -sd ',' - | sed 's/,/, /g')"
  fi
}

use_existing_key() {
  log "Checking the existing KMS key $key_id_input..."
  check_key "$key_id_input" 'given with --key-id'
  key_reused=true
  if [[ "$key_id_input" =~ ${ALIAS_NAME_PATTERN}$ ]]; then
    key_reused_aliases="alias/${key_id_input#*alias/}"
  else
    read_key_aliases
  fi
  log "Using KMS key $key_arn."
}

create_or_reuse_key() {
  if call_aws kms describe-key --key-id "$key_alias" --query 'KeyMetadata.Arn' --output text; then
    log "Alias $key_alias already exists; checking its key..."
    check_key "$key_alias" "the key of the existing alias $key_alias"
    key_reused=true
    key_reused_aliases="$key_alias"
    log "Reusing KMS key $key_arn under alias $key_alias; the alias is left as it is."
    return 0
  fi
  [[ "$(aws_error_code)" == NotFoundException ]] || fail_aws "DescribeKey on $key_alias"

  log 'Creating a symmetric ENCRYPT_DECRYPT KMS key...'
  call_aws kms create-key --description "$key_description" --key-usage ENCRYPT_DECRYPT \
    --key-spec SYMMETRIC_DEFAULT --query 'KeyMetadata.[Arn, KeyId]' --output text || fail_aws 'CreateKey'
  local key_id
  read -r key_arn key_id <<<"$aws_out"
  created_items+=("KMS key $key_arn")
  retry_hint="To use this key, run the script again with --key-id $key_arn (the key has no alias yet); otherwise schedule its deletion with: aws kms schedule-key-deletion --key-id $key_arn --pending-window-in-days 7 --region $region"
  log "Created KMS key $key_arn."

  if [[ "$rotation_enabled" == true ]]; then
    call_aws kms enable-key-rotation --key-id "$key_id" || fail_aws "EnableKeyRotation on $key_arn"
    log 'Enabled annual key rotation.'
  else
    log 'Key rotation left disabled (--no-rotation).'
  fi

  call_aws kms create-alias --alias-name "$key_alias" --target-key-id "$key_id" ||
    fail_aws "CreateAlias $key_alias"
  created_items[${#created_items[@]} - 1]="KMS key $key_arn under alias $key_alias"
  retry_hint="Fix the problem above and run the script again with the same options: it reuses the key under alias $key_alias and updates the role in place."
  log "Created alias $key_alias."
}

# ---------------------------------------------------------------------------
# IAM role
# ---------------------------------------------------------------------------

write_permissions_policy() {
  local file="$1"
  cat >"$file" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "UseTheKey",
      "Effect": "Allow",
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
        "kms:RetireGrant",
        "kms:ListGrants"
      ],
      "Resource": "$key_arn"
    },
    {
      "Sid": "CreateGrantsOnlyForThisRole",
      "Effect": "Allow",
      "Action": "kms:CreateGrant",
      "Resource": "$key_arn",
      "Condition": {
        "StringEquals": { "kms:GranteePrincipal": "$role_arn" },
        "ForAllValues:StringEquals": { "kms:GrantOperations": ["Encrypt", "Decrypt", "GenerateDataKey"] }
      }
    }
  ]
}
EOF
}

warn_about_other_role_policies() {
  local others=''
  if call_aws iam list-role-policies --role-name "$role_name" --query 'PolicyNames' --output text; then
    others="$(tr -s '[:space:]' '\n' <<<"$aws_out" | grep -v -x -e '' -e 'None' -e "$PERMISSIONS_POLICY_NAME" || true)"
  else
    log "WARNING: could not list the inline policies of role $role_name: $(aws_error_summary)"
  fi
  if call_aws iam list-attached-role-policies --role-name "$role_name" --query 'AttachedPolicies[].PolicyArn' \
    --output text; then
    others="$others $(tr -s '[:space:]' '\n' <<<"$aws_out" | grep -v -x -e '' -e 'None' || true)"
  else
    log "WARNING: could not list the managed policies attached to role $role_name: $(aws_error_summary)"
  fi
  others="$(tr -s '[:space:]' ' ' <<<"$others" | sed 's/^ //; s/ $//')"
  if [[ -n "$others" ]]; then
    log "WARNING: role $role_name also has policies this script did not create: $others."
    log "CyberSentriq needs only $PERMISSIONS_POLICY_NAME; remove the others unless you added them on purpose."
  fi
}

create_or_update_role() {
  write_trust_policy "$work_dir/trust.json" false
  if [[ "$role_exists" == true ]]; then
    if ((${#replaced_external_ids[@]} > 0)); then
      log "WARNING: replacing $(describe_external_ids "${replaced_external_ids[@]}") in the trust policy of role $role_name with External ID $external_id (--replace-external-id)."
      log "A RedApp company that still uses $(describe_external_ids "${replaced_external_ids[@]}") loses access to its key."
    fi
    log "Updating the trust policy of the existing role $role_arn..."
    call_aws iam update-assume-role-policy --role-name "$role_name" \
      --policy-document "file://$work_dir/trust.json" || fail_aws "UpdateAssumeRolePolicy on $role_name"
  else
    log "Creating IAM role $role_name..."
    call_aws iam create-role --role-name "$role_name" --assume-role-policy-document "file://$work_dir/trust.json" \
      --description 'Lets CyberSentriq use a customer-managed KMS key for backup encryption' \
      --query 'Role.Arn' --output text || fail_aws 'CreateRole'
    role_arn="$aws_out"
    created_items+=("IAM role $role_arn (trusts only $platform_principal_arn)")
  fi

  write_permissions_policy "$work_dir/permissions.json"
  call_aws iam put-role-policy --role-name "$role_name" --policy-name "$PERMISSIONS_POLICY_NAME" \
    --policy-document "file://$work_dir/permissions.json" || fail_aws "PutRolePolicy $PERMISSIONS_POLICY_NAME on $role_name"
  log "Attached the inline permissions policy $PERMISSIONS_POLICY_NAME (key $key_arn only)."

  if [[ "$role_exists" == true ]]; then
    warn_about_other_role_policies
  fi
  retry_hint="Fix the problem above and run the script again with the same options: it updates role $role_name in place and keeps its External ID."
}

# ---------------------------------------------------------------------------
# End-to-end check
# ---------------------------------------------------------------------------

verify_stage=''
verify_error=''

# Assumes the role with the External ID and runs GenerateDataKey, Encrypt and Decrypt with the
# session. Returns 0 on success. On failure it sets verify_stage and verify_error and returns 1.
verify_once() {
  local access_key_id secret_access_key session_token
  if ! call_aws sts assume-role --role-arn "$role_arn" --role-session-name "$VERIFY_SESSION_NAME" \
    --external-id "$external_id" --duration-seconds 900 \
    --query 'Credentials.[AccessKeyId, SecretAccessKey, SessionToken]' --output text; then
    verify_stage='AssumeRole'
    verify_error="$(aws_error_summary)"
    return 1
  fi
  read -r access_key_id secret_access_key session_token <<<"$aws_out"
  aws_out=''

  local plaintext_file="$work_dir/plaintext.bin" ciphertext_file="$work_dir/ciphertext.bin"
  printf 'CyberSentriq setup check %s' "$external_id" >"$plaintext_file"

  AWS_ACCESS_KEY_ID="$access_key_id" AWS_SECRET_ACCESS_KEY="$secret_access_key" \
    AWS_SESSION_TOKEN="$session_token" verify_with_session "$plaintext_file" "$ciphertext_file"
}

verify_with_session() {
  local plaintext_file="$1" ciphertext_file="$2"
  local context='purpose=cybersentriq-setup-check'

  if ! call_aws kms generate-data-key --key-id "$key_arn" --key-spec AES_256 --encryption-context "$context" \
    --query 'KeyId' --output text; then
    verify_stage='GenerateDataKey'
    verify_error="$(aws_error_summary)"
    return 1
  fi

  if ! call_aws kms encrypt --key-id "$key_arn" --plaintext "fileb://$plaintext_file" \
    --encryption-context "$context" --query '[CiphertextBlob, KeyId]' --output text; then
    verify_stage='Encrypt'
    verify_error="$(aws_error_summary)"
    return 1
  fi
  local ciphertext_base64 response_key_id
  read -r ciphertext_base64 response_key_id <<<"$aws_out"
  if [[ "$response_key_id" != "$key_arn" ]]; then
    verify_stage='Encrypt'
    verify_error="the response names key $response_key_id instead of $key_arn"
    return 1
  fi
  base64 -d <<<"$ciphertext_base64" >"$ciphertext_file"

  if ! call_aws kms decrypt --key-id "$key_arn" --ciphertext-blob "fileb://$ciphertext_file" \
    --encryption-context "$context" --query 'Plaintext' --output text; then
    verify_stage='Decrypt'
    verify_error="$(aws_error_summary)"
    return 1
  fi
  if [[ "$(tr -d '\n' <<<"$aws_out")" != "$(base64 <"$plaintext_file" | tr -d '\n')" ]]; then
    verify_stage='Decrypt'
    verify_error='the decrypted value differs from the encrypted one'
    return 1
  fi
}

verify_end_to_end() {
  log "Adding $caller_principal_arn to the trust policy for the end-to-end check; it is removed afterwards."
  write_trust_policy "$work_dir/trust-check.json" true
  trust_restore_needed=true
  call_aws iam update-assume-role-policy --role-name "$role_name" \
    --policy-document "file://$work_dir/trust-check.json" || fail_aws "UpdateAssumeRolePolicy on $role_name"

  local attempt=1 started=$SECONDS interval=5 remaining
  while true; do
    if verify_once; then
      log "End-to-end check passed: assumed $role_arn with the External ID, then encrypted and decrypted a test value."
      return 0
    fi
    remaining=$((verify_timeout - (SECONDS - started)))
    if ((remaining <= 0)); then
      return 1
    fi
    ((interval <= remaining)) || interval=$remaining
    log "Check attempt $attempt failed at $verify_stage ($(aws_error_code)); IAM changes can take a minute to propagate. Retrying in ${interval}s (${remaining}s left)..."
    sleep "$interval" &
    sleep_pid=$!
    wait "$sleep_pid" || true
    sleep_pid=''
    attempt=$((attempt + 1))
  done
}

# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

print_values() {
  printf 'Role ARN: %s\n' "$role_arn"
  printf 'External ID: %s\n' "$external_id"
  printf 'Key ARN: %s\n' "$key_arn"
  printf 'Region: %s\n' "$region"
}

print_success() {
  printf '%s\n' "$RULE"
  printf 'SUCCESS — role configured and verified end-to-end.\n'
  printf '%s\n' "$RULE"
  if [[ "$key_reused" == true ]]; then
    if [[ -n "$key_reused_aliases" ]]; then
      printf "The existing KMS key %s was reused (alias '%s').\n" "$key_arn" "$key_reused_aliases"
    else
      printf 'The existing KMS key %s was reused (it has no alias).\n' "$key_arn"
    fi
  else
    printf "A new KMS key was created under alias '%s'.\n" "$key_alias"
  fi
  printf 'Paste these four values into the CyberSentriq console:\n'
  print_values
}

# Explains a failed end-to-end check, one sentence a line. A key policy without the account-root
# statement is the most common cause, because then the role's IAM permissions policy has no effect.
print_diagnosis() {
  local role_account
  role_account="$(cut -d: -f5 <<<"$role_arn")"
  printf 'The end-to-end check failed at %s: %s\n' "$verify_stage" "$verify_error"

  if [[ "$verify_stage" == AssumeRole ]]; then
    printf 'Assuming %s with the External ID was denied.\n' "$role_arn"
    printf 'The trust policy change may not have propagated yet, or a service control policy or permissions boundary denies sts:AssumeRole to %s.\n' "$caller_principal_arn"
    printf 'Wait a few minutes and run the script again.\n'
    return 0
  fi

  if ! call_aws kms get-key-policy --key-id "$key_arn" --policy-name default --query 'Policy' --output text; then
    printf 'The key policy of %s could not be read (%s).\n' "$key_arn" "$(aws_error_code)"
    printf 'Confirm the key policy has the default statement that allows arn:aws:iam::%s:root kms:*, then run the script again.\n' "$role_account"
    return 0
  fi
  if ! grep -Eq "\"(arn:aws[a-z-]*:iam::${role_account}:root|${role_account})\"" <<<"$aws_out"; then
    printf 'The key policy of %s does not delegate to IAM: it has no statement for the account root (arn:aws:iam::%s:root), so the role'"'"'s IAM permissions policy cannot grant access to the key.\n' "$key_arn" "$role_account"
    printf 'Add the default key policy statement that allows arn:aws:iam::%s:root kms:*, or a statement that allows %s the actions kms:Encrypt, kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey, kms:CreateGrant, kms:RetireGrant and kms:ListGrants.\n' "$role_account" "$role_arn"
    printf 'Then run the script again.\n'
    return 0
  fi
  printf 'The key policy has the default account-root statement, so look for an explicit Deny in the key policy, a permissions boundary on role %s, or a service control policy.\n' "$role_name"
  printf 'Then run the script again.\n'
}

print_warning() {
  printf '%s\n' "$RULE"
  printf 'WARNING — role created but verification failed\n'
  printf '%s\n' "$RULE"
  print_diagnosis
  printf '\n'
  printf 'The role and key are configured with these values, but the Test connection in RedApp will fail until the problem above is fixed:\n'
  print_values
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

main() {
  parse_arguments "$@"
  validate_arguments
  command -v aws >/dev/null 2>&1 || die 'the AWS CLI (aws) was not found on PATH. Run the script in AWS CloudShell or install the AWS CLI.'
  resolve_region

  work_dir="$(mktemp -d)"
  trap on_exit EXIT
  trap 'on_signal INT 130' INT
  trap 'on_signal TERM 143' TERM
  export AWS_PAGER=''

  resolve_caller
  log "Running as $caller_arn in account $caller_account, region $region."
  resolve_role_and_external_id

  if [[ -n "$key_id_input" ]]; then
    use_existing_key
  else
    create_or_reuse_key
  fi
  create_or_update_role

  local verified=true
  verify_end_to_end || verified=false
  restore_trust_policy || die "could not remove $caller_principal_arn from the trust policy of role $role_name: $(aws_error_summary)"
  log "Removed $caller_principal_arn from the trust policy: it trusts only $platform_principal_arn."
  setup_finished=true

  if [[ "$verified" == true ]]; then
    print_success
    exit 0
  fi
  print_warning
  exit "$EXIT_VERIFY_FAILED"
}

main "$@"
