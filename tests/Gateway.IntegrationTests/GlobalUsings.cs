global using System.Net;
global using System.Text;
global using Gateway.IntegrationTests.Support;
