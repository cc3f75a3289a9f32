"""Who a person is: phone numbers, names in every order, the staff/contact directory, matching them in text."""
