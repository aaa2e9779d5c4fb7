DROP TABLE api_requests;
DROP TABLE api_clients;
