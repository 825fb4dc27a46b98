import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { ROLES } from "./functions.ts";
import { logicalId, synthesize, TEST_CONFIG } from "./testing.ts";

describe("Observability", () => {
  const template = synthesize({ ...TEST_CONFIG, walAgeAlarmSeconds: 600, alarmEmail: "ops@example.com" });
  const topic = { Ref: logicalId(template, "AWS::SNS::Topic", "ObservabilityAlarmTopic") };

  it("alarms on any message in either dead-letter queue", () => {
    for (const prefix of ["WalDeadLetterQueue", "SchedulesDeadLetterQueue"]) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [
          {
            Name: "QueueName",
            Value: { "Fn::GetAtt": [logicalId(template, "AWS::SQS::Queue", prefix), "QueueName"] },
          },
        ],
        ComparisonOperator: "GreaterThanThreshold",
        Threshold: 0,
        AlarmActions: [topic],
      });
    }
  });

  it("alarms when the oldest WAL message is older than the threshold", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateAgeOfOldestMessage",
      Dimensions: [
        {
          Name: "QueueName",
          Value: { "Fn::GetAtt": [logicalId(template, "AWS::SQS::Queue", "WalQueue"), "QueueName"] },
        },
      ],
      Threshold: 600,
      AlarmActions: [topic],
    });
  });

  it("alarms on errors and throttles of every function", () => {
    for (const role of ROLES) {
      const fn = logicalId(
        template,
        "AWS::Lambda::Function",
        `Functions${role.charAt(0).toUpperCase()}${role.slice(1)}`,
      );
      for (const metric of ["Errors", "Throttles"]) {
        template.hasResourceProperties("AWS::CloudWatch::Alarm", {
          Namespace: "AWS/Lambda",
          MetricName: metric,
          Dimensions: [{ Name: "FunctionName", Value: { Ref: fn } }],
          Statistic: "Sum",
          Threshold: 0,
          AlarmActions: [topic],
        });
      }
    }
    template.resourceCountIs("AWS::CloudWatch::Alarm", 2 + 1 + 2 * ROLES.length);
  });

  it("e-mails the alarm topic when an address is configured", () => {
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
      TopicArn: topic,
    });
  });

  it("outputs the API URL, bucket, queue and Glue database", () => {
    const outputs = template.findOutputs("*");
    assert.deepEqual(Object.keys(outputs).sort(), [
      "AlarmTopicArn",
      "ApiUrl",
      "BucketName",
      "GlueDatabase",
      "QueueUrl",
    ]);
    template.hasOutput("BucketName", {
      Value: { Ref: logicalId(template, "AWS::S3::Bucket", "StorageBucket") },
    });
    template.hasOutput("QueueUrl", { Value: { Ref: logicalId(template, "AWS::SQS::Queue", "WalQueue") } });
    template.hasOutput("GlueDatabase", { Value: "sediment" });
    template.hasOutput("ApiUrl", { Value: { "Fn::Join": ["", Match.arrayWith(["https://"])] } });
  });
});
