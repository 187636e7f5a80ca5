-- One database per service, owned by the application user (POSTGRES_USER).
CREATE DATABASE registry;
CREATE DATABASE dispatch;
CREATE DATABASE assessment;
