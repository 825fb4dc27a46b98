import { describe, it } from "node:test";
import { logicalId, synthesize, TEST_CONFIG } from "./testing.ts";

describe("Schedules", () => {
  const template = synthesize({ ...TEST_CONFIG, mergeScheduleMinutes: 30 });

  it("runs merge every N minutes with bounded retries and a dead-letter queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(30 minutes)",
      State: "ENABLED",
      Targets: [
        {
          Id: "Target0",
          Arn: { "Fn::GetAtt": [logicalId(template, "AWS::Lambda::Function", "FunctionsMerge"), "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 30 * 60 },
          DeadLetterConfig: {
            Arn: {
              "Fn::GetAtt": [logicalId(template, "AWS::SQS::Queue", "SchedulesDeadLetterQueue"), "Arn"],
            },
          },
        },
      ],
    });
  });

  it("lets EventBridge write to the encrypted dead-letter queue", () => {
    template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: logicalId(template, "AWS::SQS::Queue", "SchedulesDeadLetterQueue") }],
    });
  });

  it("leaves retrying a failed merge to the next tick, not to Lambda's async retries", () => {
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: logicalId(template, "AWS::Lambda::Function", "FunctionsMerge") },
      MaximumRetryAttempts: 0,
    });
  });
});
