// SSM Parameter Store adapter for the token list: the only auth file that imports the AWS SDK.
import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { TokenSourceError } from "./errors.ts";
import type { TokenListLoader } from "./source.ts";

export class SsmTokenListLoader implements TokenListLoader {
  constructor(
    private readonly client: SSMClient,
    private readonly parameterName: string,
  ) {}

  async load(): Promise<string> {
    const out = await this.client.send(
      new GetParameterCommand({ Name: this.parameterName, WithDecryption: true }),
    );
    const value = out.Parameter?.Value;
    if (value === undefined) {
      throw new TokenSourceError(`SSM parameter ${this.parameterName} has no value`);
    }
    return value;
  }
}
