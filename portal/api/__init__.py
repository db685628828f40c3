"""The API shell: authentication, key scoping, the exception handler, idempotency, throttling
and the API's URL table. The apps' API views use these helpers; no service, selector, model or
task imports them."""
