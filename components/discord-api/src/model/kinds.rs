//! The integer-tagged enums of interaction payloads and command definitions.

int_enum! {
    /// What an interaction is
    /// (<https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-interaction-type>).
    pub enum InteractionType {
        /// `PING`: Discord checking the endpoint; answer with a PONG.
        Ping = 1,
        /// `APPLICATION_COMMAND`: a slash, user or message command.
        ApplicationCommand = 2,
        /// `MESSAGE_COMPONENT`: a button or select menu was used.
        MessageComponent = 3,
        /// `APPLICATION_COMMAND_AUTOCOMPLETE`: the user is typing an autocomplete option.
        ApplicationCommandAutocomplete = 4,
        /// `MODAL_SUBMIT`: a modal was submitted.
        ModalSubmit = 5,
    }
}

int_enum! {
    /// Where an interaction may happen or happened
    /// (<https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-interaction-context-types>).
    pub enum InteractionContextType {
        /// `GUILD`: in a server.
        Guild = 0,
        /// `BOT_DM`: in the bot's DM.
        BotDm = 1,
        /// `PRIVATE_CHANNEL`: in group DMs and other users' DMs (user-installed apps).
        PrivateChannel = 2,
    }
}

int_enum! {
    /// How an app is installed
    /// (<https://discord.com/developers/docs/resources/application#application-object-application-integration-types>).
    pub enum IntegrationType {
        /// `GUILD_INSTALL`: installed to a server.
        GuildInstall = 0,
        /// `USER_INSTALL`: installed to a user.
        UserInstall = 1,
    }
}

int_enum! {
    /// An application command's type
    /// (<https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-types>).
    pub enum CommandType {
        /// `CHAT_INPUT`: a slash command.
        ChatInput = 1,
        /// `USER`: a command in a user's context menu.
        User = 2,
        /// `MESSAGE`: a command in a message's context menu.
        Message = 3,
        /// `PRIMARY_ENTRY_POINT`: an Activity's launch command.
        PrimaryEntryPoint = 4,
    }
}

int_enum! {
    /// A command option's type
    /// (<https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-type>).
    pub enum OptionType {
        /// `SUB_COMMAND`.
        SubCommand = 1,
        /// `SUB_COMMAND_GROUP`.
        SubCommandGroup = 2,
        /// `STRING`.
        String = 3,
        /// `INTEGER`: −2^53+1 … 2^53−1.
        Integer = 4,
        /// `BOOLEAN`.
        Boolean = 5,
        /// `USER`: a user ID.
        User = 6,
        /// `CHANNEL`: a channel ID.
        Channel = 7,
        /// `ROLE`: a role ID.
        Role = 8,
        /// `MENTIONABLE`: a user or role ID.
        Mentionable = 9,
        /// `NUMBER`: a double.
        Number = 10,
        /// `ATTACHMENT`: an attachment ID.
        Attachment = 11,
    }
}

int_enum! {
    /// A message component's type
    /// (<https://discord.com/developers/docs/components/reference#component-object-component-types>).
    pub enum ComponentType {
        /// Action row: up to 5 buttons, or one select or text input.
        ActionRow = 1,
        /// Button.
        Button = 2,
        /// Select menu of strings.
        StringSelect = 3,
        /// Text input (modals only).
        TextInput = 4,
        /// Select menu of users.
        UserSelect = 5,
        /// Select menu of roles.
        RoleSelect = 6,
        /// Select menu of users and roles.
        MentionableSelect = 7,
        /// Select menu of channels.
        ChannelSelect = 8,
        /// Label wrapping one modal component.
        Label = 18,
    }
}
