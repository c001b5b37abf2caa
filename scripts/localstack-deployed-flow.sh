#!/usr/bin/env bash
# The deployed flow, step by step, against LocalStack without Docker: the resources the CDK
# stack creates (bucket, S3 notification, registration queue, one FIFO queue per component,
# dead-letter queues), then the local runtime in queues mode doing what the Lambdas do.
# Needs LocalStack (S3 + SQS) on $AWS_ENDPOINT_URL and the repository's .venv (aws CLI, pyarrow,
# pyiceberg). Run from the repository root: bash scripts/localstack-deployed-flow.sh
set -euo pipefail

export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
VENV="${VENV:-.venv}"
aws() { "$VENV/bin/aws" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
step() { printf '\n== %s\n' "$*" >&2; }

PREFIX="astha-flow-$(date +%s)-$RANDOM"
BUCKET="$PREFIX"
WORK="$(mktemp -d)"
RUNTIME_PID=""
cleanup() {
  [ -n "$RUNTIME_PID" ] && kill "$RUNTIME_PID" 2>/dev/null && wait "$RUNTIME_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step "1. bucket $BUCKET and the registration queue with its dead-letter queue (5 receives)"
aws s3api create-bucket --bucket "$BUCKET" >/dev/null
REGISTER_DLQ=$(aws sqs create-queue --queue-name "$PREFIX-register-dlq" --query QueueUrl --output text)
REGISTER_DLQ_ARN=$(aws sqs get-queue-attributes --queue-url "$REGISTER_DLQ" --attribute-names QueueArn --query Attributes.QueueArn --output text)
REGISTER=$(aws sqs create-queue --queue-name "$PREFIX-register" --attributes \
  "{\"VisibilityTimeout\":\"360\",\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$REGISTER_DLQ_ARN\\\",\\\"maxReceiveCount\\\":\\\"5\\\"}\"}" \
  --query QueueUrl --output text)
REGISTER_ARN=$(aws sqs get-queue-attributes --queue-url "$REGISTER" --attribute-names QueueArn --query Attributes.QueueArn --output text)

step "2. one FIFO queue per component, each with a FIFO dead-letter queue (30 receives)"
QUEUES="{" DLQS="{"
for component in iceberg_updater metadata_orchestrator snapshotter compactor; do
  slug=${component//_/-}
  dlq=$(aws sqs create-queue --queue-name "$PREFIX-$slug-dlq.fifo" --attributes FifoQueue=true --query QueueUrl --output text)
  dlq_arn=$(aws sqs get-queue-attributes --queue-url "$dlq" --attribute-names QueueArn --query Attributes.QueueArn --output text)
  queue=$(aws sqs create-queue --queue-name "$PREFIX-$slug.fifo" --attributes \
    "{\"FifoQueue\":\"true\",\"ContentBasedDeduplication\":\"false\",\"DeduplicationScope\":\"messageGroup\",\"FifoThroughputLimit\":\"perMessageGroupId\",\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"30\\\"}\"}" \
    --query QueueUrl --output text)
  QUEUES="$QUEUES\"$component\":\"$queue\"," DLQS="$DLQS\"$component\":\"$dlq\","
done
QUEUES="${QUEUES%,}}" DLQS="${DLQS%,}}"

step "3. S3 notifies the registration queue of every .parquet under warehouse/"
aws s3api put-bucket-notification-configuration --bucket "$BUCKET" --notification-configuration "{
  \"QueueConfigurations\": [{
    \"QueueArn\": \"$REGISTER_ARN\",
    \"Events\": [\"s3:ObjectCreated:*\", \"s3:ObjectRemoved:*\"],
    \"Filter\": {\"Key\": {\"FilterRules\": [{\"Name\": \"prefix\", \"Value\": \"warehouse/\"}, {\"Name\": \"suffix\", \"Value\": \".parquet\"}]}}
  }]}"

step "4. the runtime in queues mode (what the Lambdas do): registry $WORK/registry.db"
export ASTHA_REGISTRY_URL="file:$WORK/registry.db"
export ASTHA_WAREHOUSE="s3://$BUCKET/warehouse"
export ASTHA_REGISTRATION_QUEUE="$REGISTER" ASTHA_COMPONENT_QUEUES="$QUEUES" ASTHA_COMPONENT_DLQS="$DLQS"
npx tsx lib/cli/run.ts start --no-sample >"$WORK/runtime.out" 2>"$WORK/runtime.err" &
RUNTIME_PID=$!
sleep 5
kill -0 "$RUNTIME_PID" || { cat "$WORK/runtime.err" >&2; exit 1; }

step "5. a Parquet file lands: s3://$BUCKET/warehouse/demo/events/data/part-0.parquet"
"$VENV/bin/python" - "$WORK/part-0.parquet" <<'PY'
import sys
import pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", "c"]}), sys.argv[1])
PY
aws s3 cp "$WORK/part-0.parquet" "s3://$BUCKET/warehouse/demo/events/data/part-0.parquet" >/dev/null

step "6. wait for the commit: a snapshot in the table's metadata"
ROWS=""
for _ in $(seq 1 60); do
  ROWS=$("$VENV/bin/python" - "$BUCKET" <<'PY' 2>/dev/null || true
import os, sys, boto3
from pyiceberg.table import StaticTable
bucket = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="warehouse/demo/events/metadata/").get("Contents", [])
        if o["Key"].endswith(".metadata.json")]
if not keys:
    sys.exit(1)
props = {"s3.endpoint": os.environ["AWS_ENDPOINT_URL"], "s3.access-key-id": os.environ["AWS_ACCESS_KEY_ID"],
         "s3.secret-access-key": os.environ["AWS_SECRET_ACCESS_KEY"], "s3.region": os.environ["AWS_REGION"]}
table = StaticTable.from_metadata(f"s3://{bucket}/{max(keys)}", properties=props)
if table.current_snapshot() is None:
    sys.exit(1)
print(table.scan().to_arrow().num_rows)
PY
)
  [ -n "$ROWS" ] && break
  sleep 1
done
[ -n "$ROWS" ] || { echo "no commit within 60 s" >&2; cat "$WORK/runtime.err" >&2; exit 1; }

step "7. query: PyIceberg reads the committed table"
echo "demo.events has $ROWS rows"
[ "$ROWS" = "3" ]
echo "deployed flow OK (bucket $BUCKET and queues $PREFIX-* left in LocalStack)" >&2
