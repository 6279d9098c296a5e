#!/usr/bin/env bash
# Validates deploy/template.yaml offline: cfn-lint (CloudFormation rules, with the SAM
# transform applied), then an explicit SAM translation whose output must hold the
# resources Carte relies on. Needs: pip install cfn-lint aws-sam-translator
# Usage: deploy/check.sh [TEMPLATE]   (default: deploy/template.yaml)
set -euo pipefail
template=$(realpath "${1:-$(dirname "$0")/template.yaml}")

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "error: cfn-lint is missing; install it with: pip install cfn-lint aws-sam-translator" >&2
  exit 127
fi
python=$(command -v python3 || command -v python || true)
if [ -z "$python" ] || ! "$python" -c 'import samtranslator' >/dev/null 2>&1; then
  echo "error: aws-sam-translator is missing; install it with: pip install cfn-lint aws-sam-translator" >&2
  exit 127
fi

echo "cfn-lint $(cfn-lint --version 2>&1 | awk '{print $2}') on $template"
cfn-lint --format parseable "$template"

# The translator fills in AWS::Region; any region will do offline.
AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" "$python" - "$template" <<'PY'
import sys
from cfnlint.decode import decode
from samtranslator.translator.transform import transform

class NoManagedPolicies:
    """The template names no AWS managed policy by name, so nothing is looked up."""
    def load(self):
        return {}

template, problems = decode(sys.argv[1])
if problems:
    sys.exit("cannot parse the template: %s" % problems)
# What `sam package` does first: local code folders become S3 objects.
for name, resource in template["Resources"].items():
    code = resource.get("Properties", {}).get("CodeUri")
    if resource["Type"] == "AWS::Serverless::Function" and isinstance(code, str) and not code.startswith("s3://"):
        resource["Properties"]["CodeUri"] = "s3://carte-artifacts/%s.zip" % name
out = transform(template, {}, NoManagedPolicies())
resources = out["Resources"]
by_type = {}
for name, resource in resources.items():
    by_type.setdefault(resource["Type"], []).append(name)

def need(kind, count):
    found = len(by_type.get(kind, []))
    if found != count:
        sys.exit("SAM translation: expected %d %s, found %d" % (count, kind, found))

need("AWS::Lambda::Function", 6)
need("AWS::ApiGatewayV2::Api", 1)
need("AWS::DynamoDB::Table", 1)
need("AWS::CloudFront::Distribution", 1)
for name in by_type["AWS::Lambda::Function"]:
    props = resources[name]["Properties"]
    if props.get("Architectures") != ["arm64"] or props.get("Runtime") != "provided.al2023":
        sys.exit("%s must be arm64 on provided.al2023" % name)
# Least privilege: every statement of every function role names the table or the catalog key.
for name in by_type.get("AWS::IAM::Role", []):
    for policy in resources[name]["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            text = repr(statement.get("Resource"))
            # Text messages: SNS cannot scope Publish to phone numbers (docs/members.md).
            if statement.get("Action") == "sns:Publish":
                continue
            if "Table" not in text and "private/site.json" not in text:
                sys.exit("%s: a statement reaches beyond the table and the catalog: %s" % (name, statement))
print("SAM translation: %d resources, %d functions, roles limited to the table, private/site.json and SNS text messages"
      % (len(resources), len(by_type["AWS::Lambda::Function"])))
PY
