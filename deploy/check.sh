#!/usr/bin/env bash
# Validates deploy/template.yaml offline: cfn-lint (CloudFormation rules, with the SAM
# transform applied), then an explicit SAM translation whose output must hold the
# resources Carte relies on. Needs: pip install cfn-lint aws-sam-translator
# Usage: deploy/check.sh [TEMPLATE]   (default: deploy/template.yaml)
# cfn-lint checks both branches of every condition in one run (a mistake on a branch only a
# shop with its own domain takes fails it too: tests/deploy_template.rs); the SAM
# translation runs on every combination of the optional parts (domain on/off, WAF
# off/created/given, production/staging: 12).
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
# The us-east-1 web ACL for stacks elsewhere (docs/deploy.md "Abuse").
cfn-lint --format parseable "$(dirname "$0")/waf.yaml"

# The translator fills in AWS::Region; any region will do offline.
AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" "$python" - "$template" <<'PY'
import itertools, sys
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
import copy
# Every combination of the optional parts: the default stack, a shop on its own domain
# with alarm emails, a budget, WAF and canary releases, and a staging stack.
# Every combination of the conditions: the shop's domain or CloudFront's, no WAF, the
# stack's own web ACL or one given, production or staging (alarm emails, a budget, a longer
# log retention and canary releases ride along with the domain).
domains = {"": {}, "domain": {
    "DomainName": "order.example.com",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666",
    "AlarmEmail": "owner@example.com", "MonthlyBudget": "30",
    "DeploymentType": "Canary10Percent5Minutes", "LogRetentionDays": "90",
}}
wafs = {"": {}, "waf": {"EnableWaf": "true"},
        "acl": {"WebAclArn": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop/abc"}}
stages = {"": {}, "staging": {"Stage": "staging"}}
combinations = {}
for (d, dv), (w, wv), (st, sv) in itertools.product(domains.items(), wafs.items(), stages.items()):
    combinations["+".join(x for x in (d, w, st) if x) or "default"] = {**dv, **wv, **sv}
translated = {label: transform(copy.deepcopy(template), values, NoManagedPolicies())["Resources"]
              for label, values in combinations.items()}
out = transform(template, {}, NoManagedPolicies())
resources = out["Resources"]
by_type = {}
for name, resource in resources.items():
    by_type.setdefault(resource["Type"], []).append(name)

def need(kind, count):
    found = len(by_type.get(kind, []))
    if found != count:
        sys.exit("SAM translation: expected %d %s, found %d" % (count, kind, found))

need("AWS::Lambda::Function", 7)
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

# Safe releases: every function behind the alias `live`, shifted by CodeDeploy, which rolls
# back on its error alarm; the HTTP API calls the alias, never $LATEST.
need("AWS::Lambda::Alias", 7)
need("AWS::CodeDeploy::DeploymentGroup", 7)
errors_alarms = {n for n in resources if n.endswith("ErrorsAlarm") and resources[n]["Properties"].get("Namespace") == "AWS/Lambda"}
for name in by_type["AWS::CodeDeploy::DeploymentGroup"]:
    props = resources[name]["Properties"]
    named = {a["Name"]["Ref"] for a in props["AlarmConfiguration"]["Alarms"]}
    if named != errors_alarms or not props["AlarmConfiguration"]["Enabled"]:
        sys.exit("%s must roll back on every function's errors alarm, has %s" % (name, named))
    # SAM fills in DeploymentType's value (CloudFormation passes it when it transforms).
    for label, values in combinations.items():
        config_name = translated[label][name]["Properties"]["DeploymentConfigName"]["Fn::Sub"][1]["ConfigName"]
        if config_name != values.get("DeploymentType", "AllAtOnce"):
            sys.exit("%s (%s): the deployment type must be DeploymentType, is %s" % (name, label, config_name))
for name in by_type["AWS::Lambda::Permission"]:
    target = repr(resources[name]["Properties"]["FunctionName"])
    if "Aliaslive" not in target:
        sys.exit("%s lets the API call %s, not the alias" % (name, target))

# Logs: a group per function, kept LogRetentionDays.
for name in by_type["AWS::Lambda::Function"]:
    group = resources[name]["Properties"].get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
    if group not in resources or resources[group]["Properties"].get("RetentionInDays") != {"Ref": "LogRetentionDays"}:
        sys.exit("%s must log to a group of its own with RetentionInDays LogRetentionDays" % name)

# Alarms: each one named, each one to the topic.
alarms = set(by_type["AWS::CloudWatch::Alarm"])
wanted = errors_alarms | {"LambdaThrottlesAlarm", "Api5xxAlarm", "ApiLatencyAlarm", "TableThrottlesAlarm",
                          "TableSystemErrorsAlarm", "CloudFront5xxAlarm"}
if len(errors_alarms) != 7 or alarms != wanted:
    sys.exit("alarms: expected %s, found %s" % (sorted(wanted), sorted(alarms)))
for name in alarms:
    if resources[name]["Properties"].get("AlarmActions") != [{"Ref": "AlarmTopic"}]:
        sys.exit("%s must notify AlarmTopic" % name)
if "aws/sns" in repr(resources["AlarmTopic"]["Properties"].get("KmsMasterKeyId", "")):
    sys.exit("AlarmTopic: CloudWatch cannot publish to a topic encrypted with alias/aws/sns; every alarm would be lost")
if resources["CloudFront5xxAlarm"].get("Condition") != "InUsEast1":
    sys.exit("CloudFront's metrics are in us-east-1 only: CloudFront5xxAlarm needs Condition InUsEast1")
if resources["AlarmEmailSubscription"].get("Condition") != "HasAlarmEmail":
    sys.exit("the email subscription must depend on AlarmEmail")
budget = resources["Budget"]
if budget.get("Condition") != "HasBudget" or budget["Properties"]["Budget"]["BudgetLimit"]["Amount"] != {"Ref": "MonthlyBudget"}:
    sys.exit("the budget must be MonthlyBudget, only with an email and a non-zero amount")

# The distribution: the shop's domain and certificate when given, WAF when asked, and the
# viewer's address forwarded to the API with proof it came through CloudFront.
config = resources["Distribution"]["Properties"]["DistributionConfig"]
if config["Aliases"] != {"Fn::If": ["HasDomain", [{"Ref": "DomainName"}], {"Ref": "AWS::NoValue"}]}:
    sys.exit("Aliases must be DomainName when HasDomain: %s" % config["Aliases"])
certificate = config["ViewerCertificate"]["Fn::If"]
if certificate[0] != "HasDomain" or certificate[1]["AcmCertificateArn"] != {"Ref": "CertificateArn"} \
        or certificate[1]["SslSupportMethod"] != "sni-only" or certificate[2] != {"CloudFrontDefaultCertificate": True}:
    sys.exit("ViewerCertificate must be CertificateArn (SNI) with a domain, CloudFront's own without: %s" % certificate)
if config["WebACLId"]["Fn::If"][0] != "CreateWebAcl":
    sys.exit("WebACLId must be the stack's web ACL or WebAclArn")
rule = resources["WebAcl"]["Properties"]["Rules"][0]
if resources["WebAcl"]["Properties"]["Scope"] != "CLOUDFRONT" or rule["Statement"]["RateBasedStatement"]["AggregateKeyType"] != "IP" \
        or "Block" not in rule["Action"]:
    sys.exit("the web ACL must block per client IP over a rate, at CloudFront's scope")
api = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"][0]
# Managed-AllViewerExceptHostHeader forwards CloudFront's headers, CloudFront-Viewer-Address among them.
if api["OriginRequestPolicyId"] != "b689b0a8-53d0-40ab-baf2-68738e2966ac":
    sys.exit("/api/* must use Managed-AllViewerExceptHostHeader (it carries CloudFront-Viewer-Address)")
origin = [o for o in config["Origins"] if o["Id"] == "api"][0]
secret = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
sent = {h["HeaderName"]: h["HeaderValue"] for h in origin.get("OriginCustomHeaders", [])}
for name in by_type["AWS::Lambda::Function"]:
    env = resources[name]["Properties"]["Environment"]["Variables"]
    if sent.get("X-Carte-Origin") != secret or env.get("CARTE_ORIGIN_SECRET") != secret:
        sys.exit("%s: CloudFront's X-Carte-Origin and CARTE_ORIGIN_SECRET must be the same value" % name)

# Staging beside production: nothing named by hand that two stacks would share.
for kind, key in [("AWS::DynamoDB::Table", "TableName"), ("AWS::S3::Bucket", "BucketName")]:
    for name in by_type[kind]:
        if key in resources[name]["Properties"]:
            sys.exit("%s must not be named (%s): a staging stack needs its own" % (name, key))
if resources["Table"]["Properties"]["DeletionProtectionEnabled"] != {"Fn::If": ["IsProduction", True, False]}:
    sys.exit("the production table keeps deletion protection")
print("conditions: SAM translation of %d combinations (%s)" % (len(combinations), ", ".join(combinations)))
print("alarms: %d to the topic; %d aliases rolled back by CodeDeploy; %d log groups; domain, WAF and budget conditional"
      % (len(alarms), len(by_type["AWS::Lambda::Alias"]), len(by_type["AWS::Logs::LogGroup"])))
print("SAM translation: %d resources, %d functions, roles limited to the table, private/site.json and SNS text messages"
      % (len(resources), len(by_type["AWS::Lambda::Function"])))
PY
