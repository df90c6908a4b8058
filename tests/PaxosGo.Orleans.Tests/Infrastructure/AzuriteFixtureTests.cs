using Azure.Data.Tables;
using Xunit;

namespace PaxosGo.Orleans.Tests.Infrastructure;

[Collection(AzuriteCollection.Name)]
public sealed class AzuriteFixtureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Azurite_StoresAndReturnsAnEntity()
    {
        var service = new TableServiceClient(azurite.ConnectionString);
        var tableName = "azuritefixture" + Guid.NewGuid().ToString("N");
        await service.CreateTableAsync(tableName);
        try
        {
            var table = service.GetTableClient(tableName);
            var stored = new TableEntity("partition", "row")
            {
                ["Text"] = "ballot 7",
                ["Number"] = 42L,
            };
            await table.UpsertEntityAsync(stored, TableUpdateMode.Replace);

            var read = (await table.GetEntityAsync<TableEntity>("partition", "row")).Value;

            Assert.Equal(stored.PartitionKey, read.PartitionKey);
            Assert.Equal(stored.RowKey, read.RowKey);
            Assert.Equal("ballot 7", read.GetString("Text"));
            Assert.Equal(42L, read.GetInt64("Number"));
        }
        finally
        {
            await service.DeleteTableAsync(tableName);
        }
    }
}
