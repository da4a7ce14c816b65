import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeHttp, type RecordedRequest, startFakeHttp } from "../fake-http.js";
import { blobMessage, deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

/** Answers SendMessage as SQS does over the AWS JSON 1.0 protocol. */
function sendMessageOk(request: RecordedRequest) {
  const input = JSON.parse(request.body.toString("utf8")) as { MessageBody: string };
  return {
    headers: { "content-type": "application/x-amz-json-1.0" },
    body: JSON.stringify({
      MessageId: "3f0c5f5e-1111-2222-3333-444455556666",
      MD5OfMessageBody: createHash("md5").update(input.MessageBody, "utf8").digest("hex"),
    }),
  };
}

describe("aws_sqs module against an in-test SQS JSON endpoint", () => {
  let fake: FakeHttp;
  const built: TestDeliverer[] = [];

  beforeEach(async () => {
    fake = await startFakeHttp();
    fake.reply(sendMessageOk);
  });
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    await fake.close();
  });

  async function build(
    queue: string,
    moduleConfig: Record<string, unknown> = {},
    dataType = "json",
  ) {
    const b = await deliverFrom(
      {
        hook: {
          data_type: dataType,
          module: "aws_sqs",
          connection: "aws",
          "module-config": { queue_url: `${fake.url}/123456789012/${queue}`, ...moduleConfig },
        },
      },
      {
        aws: {
          type: "aws",
          region: "eu-west-1",
          endpoint_url: fake.url,
          access_key_id: "AKIDTEST",
          secret_access_key: "secret",
          max_attempts: 1,
        },
      },
    );
    built.push(b);
    return b;
  }

  interface SendMessageInput {
    QueueUrl: string;
    MessageBody: string;
    MessageAttributes: Record<string, unknown>;
    MessageDeduplicationId?: string;
    MessageGroupId?: string;
    DelaySeconds?: number;
  }
  const input = (i = 0) => JSON.parse(fake.requests[i]!.body.toString("utf8")) as SendMessageInput;

  it("sends the envelope with relay attributes, signed, over the JSON protocol", async () => {
    const b = await build("hooks");
    const message = jsonMessage({ id: "evt_1" });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const request = fake.requests[0]!;
    expect(request.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
    expect(request.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(request.headers["authorization"]).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/sqs\/aws4_request, /,
    );
    const sent = input();
    expect(sent.QueueUrl).toBe(`${fake.url}/123456789012/hooks`);
    expect(JSON.parse(sent.MessageBody)).toMatchObject({
      message_id: message.messageId,
      payload: { id: "evt_1" },
      headers: { "x-trace": "one, two" },
    });
    expect(sent.MessageAttributes["message_id"]).toEqual({
      DataType: "String",
      StringValue: message.messageId,
    });
    expect(sent.MessageDeduplicationId).toBeUndefined();
  });

  it("FIFO queue: message_id is the deduplication id, the webhook id the group", async () => {
    const b = await build("hooks.fifo");
    const message = jsonMessage({ n: 1 });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(input().MessageDeduplicationId).toBe(message.messageId);
    expect(input().MessageGroupId).toBe("hook");
    expect(input().DelaySeconds).toBeUndefined();
  });

  it("raw format sends the body text; a binary body is rejected", async () => {
    const b = await build("hooks", { format: "raw" });
    const message = jsonMessage({ caf: "é" });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(input().MessageBody).toBe(Buffer.from(message.body).toString("utf8"));
    const outcome = await b.deliverer.deliver(blobMessage(new Uint8Array([0xff, 0])), never);
    expect(outcome.kind).toBe("reject");
    expect(fake.requests).toHaveLength(1);
  });

  it("InvalidMessageContents is a reject, a 500 and a missing queue are retries", async () => {
    const b = await build("hooks");
    const error = (status: number, type: string) => () => ({
      status,
      headers: { "content-type": "application/x-amz-json-1.0" },
      body: JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message: "no" }),
    });
    fake.reply(error(400, "InvalidMessageContents"));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("reject");
    fake.reply(error(400, "QueueDoesNotExist"));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake.reply(error(500, "InternalError"));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });

  it("validates module-config", async () => {
    await expect(build("hooks", { message_group_id: "g" })).rejects.toThrow(
      /module-config\.message_group_id: only for FIFO queues/,
    );
    await expect(build("hooks.fifo", { delay_seconds: 5 })).rejects.toThrow(/delay_seconds/);
    await expect(build("hooks", { delay_seconds: 901 })).rejects.toThrow(/delay_seconds/);
  });
});
