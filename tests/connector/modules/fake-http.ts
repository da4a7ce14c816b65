/**
 * A recording HTTP server on 127.0.0.1 port 0 for destinations reached
 * over HTTP (S3, SQS, ClickHouse, Pub/Sub): the shared test target, which
 * answers 200 with an empty body until a test sets how it answers.
 */
export type {
  RecordedRequest,
  Target as FakeHttp,
  TargetReply as FakeReply,
} from "../../helpers/target.js";
export { startTarget as startFakeHttp } from "../../helpers/target.js";
