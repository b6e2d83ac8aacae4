"""The Lambda handler with real API Gateway v1 (REST) and v2 (HTTP API) event
documents: small binary answers inline in base64, large ones written to an S3
results bucket on the moto server and answered 303 with a presigned URL that gives
the same bytes as the container path."""

from __future__ import annotations

import base64
import io

import boto3
import pytest
import requests
from astropy.io import fits

from service.app import create_app
from service.lambda_handler import build_handler
from service.settings import load_settings

DID = "ivo://platecut.example.org/platecut?mc12668m0s0"
SMALL = {"ID": DID, "CIRCLE": "0.2 12.0 0.05", "WIDTH": "275"}  # 275^2 float32: ~300 KB
LARGE = {"ID": DID, "CIRCLE": "0.2 12.0 0.3", "WIDTH": "1600"}  # 1600^2 float32: ~10 MB


@pytest.fixture(scope="module")
def lambda_settings(vo_settings, moto_server, tmp_path_factory):
    client = boto3.client("s3", endpoint_url=moto_server.url, region_name="us-east-1")
    client.create_bucket(Bucket="platecut-results")
    client.close()
    return load_settings(
        env={},
        overrides={
            "archive": {"root": vo_settings.archive.root},
            "catalog": {"sqlite_path": str(vo_settings.catalog.sqlite_file())},
            "cache": {"dir": str(tmp_path_factory.mktemp("lambda-cache"))},
            "storage": {"s3_endpoint_url": moto_server.url},
            "results": {
                "s3_url": "s3://platecut-results/cutouts",
                "redirect_above_bytes": 4_000_000,
            },
            # as the SAM template sets it: the function's own URL hosts
            "vo": {
                "allowed_hosts": ".lambda-url.us-east-1.on.aws,.execute-api.us-east-1.amazonaws.com"
            },
        },
    )


def v1_event(path, params):
    headers = {
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "Accept": "*/*",
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": params,
        "multiValueQueryStringParameters": {k: [v] for k, v in params.items()},
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "r-1",
            "identity": {"sourceIp": "192.0.2.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def v2_event(path, params):
    from urllib.parse import urlencode

    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(params),
        "headers": {
            "host": "abc123.lambda-url.us-east-1.on.aws",
            "x-forwarded-proto": "https",
            "x-forwarded-port": "443",
            "accept": "*/*",
        },
        "queryStringParameters": params,
        "requestContext": {
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "test",
            },
            "requestId": "r-2",
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def _headers(answer):
    """Response headers: v1 answers in multiValueHeaders when the event had them."""
    if "multiValueHeaders" in answer:
        return {k.lower(): v[0] for k, v in answer["multiValueHeaders"].items()}
    return {k.lower(): v for k, v in answer["headers"].items()}


@pytest.mark.parametrize("make_event", [v1_event, v2_event])
def test_small_cutout_inline_base64(lambda_settings, make_event):
    handler = build_handler(lambda_settings)
    answer = handler(make_event("/soda/sync", SMALL), None)
    assert answer["statusCode"] == 200
    assert answer["isBase64Encoded"] is True
    headers = _headers(answer)
    assert headers["content-type"] == "application/fits"
    body = base64.b64decode(answer["body"])
    assert 290_000 < len(body) < 320_000
    assert fits.getdata(io.BytesIO(body)).shape == (275, 275)


@pytest.mark.parametrize("make_event", [v1_event, v2_event])
def test_large_cutout_redirects_to_the_same_bytes(lambda_settings, vo_settings, make_event):
    handler = build_handler(lambda_settings)
    answer = handler(make_event("/soda/sync", LARGE), None)
    assert answer["statusCode"] == 303
    location = _headers(answer)["location"]
    fetched = requests.get(location, timeout=60)
    assert fetched.status_code == 200
    container = create_app(vo_settings).test_client().get("/soda/sync", query_string=LARGE)
    assert container.status_code == 200 and len(container.data) > 10_000_000
    assert fetched.content == container.data


def test_text_answers_stay_text(lambda_settings):
    answer = build_handler(lambda_settings)(
        v2_event("/sia/v2/query", {"POS": "CIRCLE 0.2 12 0.5", "MAXREC": "3"}), None
    )
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is False
    assert answer["body"].count("<TR>") == 3
    assert "https://abc123.lambda-url.us-east-1.on.aws/datalink/links" in answer["body"]
