// The fault scripts run the system in development mode (development secrets, loopback only), as the suites do;
// imported first so the modules below read it.
process.env.IPAY_ENV ||= 'development';
