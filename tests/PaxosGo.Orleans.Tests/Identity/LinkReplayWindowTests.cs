using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

public sealed class LinkReplayWindowTests
{
    private static string Code(LinkReplayWindow window, long incarnation, ulong sequence) =>
        Assert.Throws<ProtocolMessageRejectedException>(() => window.Admit(incarnation, sequence, "node-a")).Code;

    [Fact]
    public void EachBatchIsAcceptedOnce_InOrderOrNot_AndEveryRepeatIsRefusedAsReplayed()
    {
        var window = new LinkReplayWindow();
        ulong[] order = [1, 2, 5, 3, 4, 9, 6, 8, 7];
        foreach (var sequence in order) window.Admit(10, sequence, "node-a");

        foreach (var sequence in order) Assert.Equal(RejectionCodes.Replayed, Code(window, 10, sequence));
        window.Admit(10, 10, "node-a");
    }

    [Fact]
    public void ABatchOlderThanTheWindow_IsRefused_ButOneJustInsideIsAcceptedOnce()
    {
        var window = new LinkReplayWindow();
        window.Admit(10, 1, "node-a");
        window.Admit(10, 1 + LinkReplayWindow.Width, "node-a");

        Assert.Equal(RejectionCodes.Replayed, Code(window, 10, 1));
        window.Admit(10, 2, "node-a");
        Assert.Equal(RejectionCodes.Replayed, Code(window, 10, 2));
    }

    [Fact]
    public void AfterTheSenderRestarts_ItsNewBatchesAreAccepted_AndEveryBatchOfTheOldIncarnationIsRefused()
    {
        var window = new LinkReplayWindow();
        window.Admit(10, 1, "node-a");
        window.Admit(10, 2, "node-a");

        window.Admit(20, 1, "node-a");
        window.Admit(20, 2, "node-a");

        Assert.Equal(RejectionCodes.Replayed, Code(window, 10, 3));
        Assert.Equal(RejectionCodes.Replayed, Code(window, 20, 1));
    }

    [Fact]
    public void ABatchNumberedZero_IsRefusedAsMalformed_AndChangesNothing()
    {
        var window = new LinkReplayWindow();

        Assert.Equal(RejectionCodes.Malformed, Code(window, 10, 0));
        window.Admit(10, 1, "node-a");
    }

    [Fact]
    public void ALargeJump_ForgetsTheOldWindow_AndStillRefusesItsOwnRepeat()
    {
        var window = new LinkReplayWindow();
        window.Admit(10, 3, "node-a");
        window.Admit(10, 1_000_000, "node-a");

        Assert.Equal(RejectionCodes.Replayed, Code(window, 10, 1_000_000));
        Assert.Equal(RejectionCodes.Replayed, Code(window, 10, 3));
        window.Admit(10, 999_999, "node-a");
    }
}
