"""Reading what the test client got back."""


def html(response):
    return response.content.decode()
