// The reference's answers (Placement 8.0.0 under gunicorn), pinned verbatim, for Accept and the
// media type of errors: runs everywhere (test/api/accept.test.ts compares the whole matrix where the
// reference is installed). The token is admin unless x-auth-token says otherwise; none for the 401.
import { expect, it } from "vitest";
import { useApi } from "../helpers/api.js";
import { describeEachDb } from "../helpers/databases.js";
import { normalize } from "../diff/harness.js";

interface Pinned {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  noToken?: boolean;
  answer: { status: number; type: string; vary: string | null; text: string };
}

const PINNED: Pinned[] = [
  {
    method: "POST",
    path: "/resource_classes",
    headers: { accept: "text/plain", "openstack-api-version": "placement latest", "content-type": "application/json" },
    body: "{}",
    answer: {
      status: 400,
      type: "text/plain; charset=UTF-8",
      vary: "openstack-api-version",
      text: "400 Bad Request\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n JSON does not validate: 'name' is a required property  Failed validating 'required' in schema:     {'additionalProperties': False,      'properties': {'name': {'maxLength': 255,                              'pattern': '^CUSTOM_[A-Z0-9_]+$',                              'type': 'string'}},      'required': ['name'],      'type': 'object'}  On instance:     {}  ",
    },
  },
  {
    method: "GET",
    path: "/resource_classes",
    headers: { accept: "text/plain", "openstack-api-version": "placement latest" },
    answer: {
      status: 406,
      type: "text/plain; charset=UTF-8",
      vary: "openstack-api-version",
      text: "406 Not Acceptable\n\nThe resource could not be generated that was acceptable to your browser (content of type text/plain. \n\n Only application/json is provided",
    },
  },
  {
    method: "GET",
    path: "/nope",
    headers: { accept: "text/html" },
    answer: {
      status: 404,
      type: "text/html; charset=UTF-8",
      vary: null,
      text: "<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  The resource could not be found.<br /><br />\n\n\n\n </body>\n</html>",
    },
  },
  {
    method: "GET",
    path: "/",
    headers: { accept: "application/xml", "openstack-api-version": "placement 9.9" },
    answer: {
      status: 406,
      type: "text/plain; charset=UTF-8",
      vary: null,
      text: "406 Not Acceptable\n\nThe resource could not be generated that was acceptable to your browser (content of type application/xml. \n\n Invalid microversion: Unacceptable version header: 9.9",
    },
  },
  {
    method: "GET",
    path: "/",
    headers: { accept: "text/html", "openstack-api-version": "placement 9.9" },
    answer: {
      status: 406,
      type: "text/html; charset=UTF-8",
      vary: null,
      text: "<html>\n <head>\n  <title>406 Not Acceptable</title>\n </head>\n <body>\n  <h1>406 Not Acceptable</h1>\n  The resource could not be generated that was acceptable to your browser\n(content of type text/html. <br /><br />\nInvalid microversion: Unacceptable version header: 9.9\n </body>\n</html>",
    },
  },
  {
    method: "PATCH",
    path: "/resource_providers",
    headers: { accept: "text/html" },
    answer: {
      status: 405,
      type: "text/html; charset=UTF-8",
      vary: "openstack-api-version",
      text: "<html>\n <head>\n  <title>405 Method Not Allowed</title>\n </head>\n <body>\n  <h1>405 Method Not Allowed</h1>\n  The method PATCH is not allowed for this resource. <br /><br />\nThe method specified is not allowed for this resource.\n </body>\n</html>",
    },
  },
  {
    method: "GET",
    path: "/resource_providers",
    headers: { accept: "application/json; charset=utf-8" },
    answer: {
      status: 406,
      type: "text/plain; charset=UTF-8",
      vary: "openstack-api-version",
      text: "406 Not Acceptable\n\nThe resource could not be generated that was acceptable to your browser (content of type application/json; charset=utf-8. \n\n Only application/json is provided",
    },
  },
  {
    method: "GET",
    path: "/resource_providers",
    headers: { accept: "foo" },
    answer: { status: 200, type: "application/json", vary: "openstack-api-version", text: '{"resource_providers": []}' },
  },
  {
    method: "GET",
    path: "/",
    headers: { accept: "text/html" },
    answer: {
      status: 200,
      type: "application/json",
      vary: "openstack-api-version",
      text: '{"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0", "status": "CURRENT", "links": [{"rel": "self", "href": ""}]}]}',
    },
  },
  {
    method: "GET",
    path: "/resource_providers",
    headers: { accept: "text/html" },
    noToken: true,
    answer: {
      status: 401,
      type: "text/html; charset=UTF-8",
      vary: null,
      text: "<html>\n <head>\n  <title>401 Unauthorized</title>\n </head>\n <body>\n  <h1>401 Unauthorized</h1>\n  This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.<br /><br />\n\n\n\n </body>\n</html>",
    },
  },
  {
    method: "GET",
    path: "/resource_providers/00000000-0000-4000-8000-000000000000",
    headers: { accept: "text/html", "x-auth-token": "u:p", "x-roles": "member", "openstack-api-version": "placement latest" },
    answer: {
      status: 406,
      type: "text/html; charset=UTF-8",
      vary: "openstack-api-version",
      text: "<html>\n <head>\n  <title>406 Not Acceptable</title>\n </head>\n <body>\n  <h1>406 Not Acceptable</h1>\n  The resource could not be generated that was acceptable to your browser\n(content of type text/html. <br /><br />\nOnly application/json is provided\n </body>\n</html>",
    },
  },
  {
    method: "POST",
    path: "/resource_classes",
    headers: { accept: "text/html", "openstack-api-version": "placement latest", "content-type": "application/json" },
    body: '{"name": "CUSTOM_<b>&X"}',
    answer: {
      status: 400,
      type: "text/html; charset=UTF-8",
      vary: "openstack-api-version",
      text: "<html>\n <head>\n  <title>400 Bad Request</title>\n </head>\n <body>\n  <h1>400 Bad Request</h1>\n  The server could not comply with the request since it is either malformed or otherwise incorrect.<br /><br />\nJSON does not validate: &#x27;CUSTOM_&lt;b&gt;&amp;X&#x27; does not match &#x27;^CUSTOM_[A-Z0-9_]+$&#x27;\n\nFailed validating &#x27;pattern&#x27; in schema[&#x27;properties&#x27;][&#x27;name&#x27;]:\n    {&#x27;maxLength&#x27;: 255, &#x27;pattern&#x27;: &#x27;^CUSTOM_[A-Z0-9_]+$&#x27;, &#x27;type&#x27;: &#x27;string&#x27;}\n\nOn instance[&#x27;name&#x27;]:\n    &#x27;CUSTOM_&lt;b&gt;&amp;X&#x27;\n\n\n </body>\n</html>",
    },
  },
];

describeEachDb("Accept and error media types: the reference's answers, pinned", (dialect) => {
  const api = useApi(dialect);
  it.each(PINNED.map((p) => [`${p.method} ${p.path} (${JSON.stringify(p.headers)})`, p] as const))("%s", async (_name, p) => {
    const headers = { ...(p.noToken ? {} : { "x-auth-token": "admin" }), ...p.headers };
    const r = await api().app.request(p.path, { method: p.method, headers, body: p.body });
    // NOTE: a JSON body is compared as data (Python's separators aside), without request ids.
    const body = (type: string | null, text: string) => (type === "application/json" ? normalize(JSON.parse(text)) : text);
    const type = r.headers.get("content-type");
    expect({ status: r.status, type, vary: r.headers.get("vary"), body: body(type, await r.text()) }).toEqual({
      status: p.answer.status,
      type: p.answer.type,
      vary: p.answer.vary,
      body: body(p.answer.type, p.answer.text),
    });
  });
});
