/** Wire shapes of STS (awsQuery) and EC2 (ec2Query) answers, as the AWS SDKs and the webhook parse them. */

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type ResponseFormat = 'xml' | 'json';
export type ErrorFlavour = 'sts' | 'ec2';

/** An error answer: HTTP status plus the AWS error code, message and type. */
export class StsFault extends Error {
  readonly status: number;
  readonly code: string;
  readonly type: 'Sender' | 'Receiver';
  constructor(status: number, code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender') {
    super(message);
    this.name = 'StsFault';
    this.status = status;
    this.code = code;
    this.type = type;
  }
}

export interface RenderedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `<a><b>x</b></a>` from a nested object; values are escaped, keys are trusted constants. */
export type XmlNode = string | number | readonly XmlNode[] | { readonly [key: string]: XmlNode };

export function toXml(node: XmlNode): string {
  if (typeof node === 'string') return escapeXml(node);
  if (typeof node === 'number') return String(node);
  if (Array.isArray(node)) return (node as readonly XmlNode[]).map(toXml).join('');
  return Object.entries(node as Record<string, XmlNode>)
    .map(([key, value]) => {
      const inner = toXml(value);
      return inner === '' ? `<${key}/>` : `<${key}>${inner}</${key}>`;
    })
    .join('');
}

/**
 * Real STS error bodies. XML: `<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/>`;
 * JSON (Accept: application/json): `{"Error":{"Code","Message","Type"},"RequestId"}`. The webhook looks
 * for the substring `Throttling` in the body of a non-200 answer (reference §2.4).
 */
export function renderError(
  fault: StsFault,
  requestId: string,
  format: ResponseFormat,
  flavour: ErrorFlavour,
): RenderedResponse {
  if (flavour === 'ec2') {
    // EC2's query protocol has its own shape, which @aws-sdk/client-ec2 reads from Response.Errors.Error.
    const body = toXml({
      Response: {
        Errors: { Error: { Code: fault.code, Message: fault.message } },
        RequestID: requestId,
      },
    });
    return {
      status: fault.status,
      contentType: 'text/xml;charset=UTF-8',
      body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
    };
  }
  if (format === 'json') {
    return {
      status: fault.status,
      contentType: 'application/json',
      body: JSON.stringify({
        Error: { Code: fault.code, Message: fault.message, Type: fault.type },
        RequestId: requestId,
      }),
    };
  }
  const inner = toXml({
    Error: { Type: fault.type, Code: fault.code, Message: fault.message },
    RequestId: requestId,
  });
  return {
    status: fault.status,
    contentType: 'text/xml',
    body: `<ErrorResponse xmlns="${STS_XMLNS}">\n${inner}\n</ErrorResponse>\n`,
  };
}

/** An STS success answer `<{Action}Response><{Action}Result>…</…Result><ResponseMetadata>…` or its JSON twin. */
export function renderStsResult(
  action: string,
  result: Record<string, XmlNode>,
  jsonResult: Record<string, unknown>,
  requestId: string,
  format: ResponseFormat,
): RenderedResponse {
  if (format === 'json') {
    return {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        [`${action}Response`]: {
          [`${action}Result`]: jsonResult,
          ResponseMetadata: { RequestId: requestId },
        },
      }),
    };
  }
  const inner = toXml({ [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } });
  return {
    status: 200,
    contentType: 'text/xml',
    body: `<${action}Response xmlns="${STS_XMLNS}">\n${inner}\n</${action}Response>\n`,
  };
}
